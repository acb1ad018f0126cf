// Secured listeners for the local broker (KAFKA_SECURE=1): server-verified TLS, mutual TLS and
// SASL over TLS (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), so clients are tested against a real
// broker configured the way production clusters are. The PLAINTEXT listener stays for the
// stack's own readiness probe and inter-broker traffic.
//
// Key material is made fresh per start with openssl: a throwaway CA, a server certificate for
// 127.0.0.1/localhost and a client certificate, all PEM (Kafka reads PEM stores directly since
// 2.7, so no keystore password or keytool step is needed). SCRAM users are created when the
// storage is formatted (KRaft: `StorageTool format --add-scram`), PLAIN users by JAAS config.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StackError } from './errors.js';

/**
 * @typedef {{ tlsPort: number; mtlsPort: number; saslPort: number }} SecurePorts
 * @typedef {{ username: string; password: string }} Credentials
 * @typedef {SecurePorts & { dir: string; caFile: string; clientCertFile: string; clientKeyFile: string;
 *   plain: Credentials; scram256: Credentials; scram512: Credentials }} SecureSetup
 */

/** @param {string[]} args @param {string} cwd */
function openssl(args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.once('error', (error) => reject(new StackError(`KAFKA_SECURE needs openssl to make certificates: ${error.message}`)));
    child.once('exit', (code) => (code === 0 ? resolve(undefined) : reject(new StackError(`openssl ${args[0]} failed: ${stderr.trim()}`))));
  });
}

/** @param {string} dir @param {string} name @param {string} subject @param {string} extensions */
async function signed(dir, name, subject, extensions) {
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  fs.writeFileSync(path.join(dir, `${name}.ext`), `${extensions}\n`);
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-out', `${name}.pem`, '-extfile', `${name}.ext`], dir);
}

const secret = () => crypto.randomBytes(12).toString('base64url');

/**
 * Makes the CA, the server and client certificates and the users in `dir` (replacing what was there).
 * @param {string} dir @param {SecurePorts} ports @returns {Promise<SecureSetup>}
 */
export async function makeSecureSetup(dir, ports) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=iprisk local stack CA'], dir);
  await signed(dir, 'server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  await signed(dir, 'client', '/CN=iprisk-client', 'extendedKeyUsage=clientAuth');
  // Kafka's PEM keystore file: the private key (PKCS#8, unencrypted) followed by the chain.
  fs.writeFileSync(path.join(dir, 'server-keystore.pem'), fs.readFileSync(path.join(dir, 'server.key'), 'utf8') + fs.readFileSync(path.join(dir, 'server.pem'), 'utf8'));
  /** @type {SecureSetup} */
  const setup = {
    ...ports,
    dir,
    caFile: path.join(dir, 'ca.pem'),
    clientCertFile: path.join(dir, 'client.pem'),
    clientKeyFile: path.join(dir, 'client.key'),
    plain: { username: 'iprisk-plain', password: secret() },
    scram256: { username: 'iprisk-scram256', password: secret() },
    scram512: { username: 'iprisk-scram512', password: secret() },
  };
  fs.writeFileSync(path.join(dir, 'setup.json'), `${JSON.stringify(setup, null, 2)}\n`, { mode: 0o600 });
  return setup;
}

/** Listener names and their protocols; the PLAINTEXT and CONTROLLER ones are the stack's own. */
export function secureListeners(host, ports) {
  return {
    listeners: [`TLS://${host}:${ports.tlsPort}`, `MTLS://${host}:${ports.mtlsPort}`, `SASL://${host}:${ports.saslPort}`],
    protocols: ['TLS:SSL', 'MTLS:SSL', 'SASL:SASL_SSL'],
  };
}

/** @param {SecureSetup} setup @returns {string[]} server.properties lines */
export function secureProperties(setup) {
  const keystore = path.join(setup.dir, 'server-keystore.pem');
  const stores = (listener) => [
    `listener.name.${listener}.ssl.keystore.type=PEM`,
    `listener.name.${listener}.ssl.keystore.location=${keystore}`,
    `listener.name.${listener}.ssl.truststore.type=PEM`,
    `listener.name.${listener}.ssl.truststore.location=${setup.caFile}`,
  ];
  const jaasValue = (value) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return [
    ...stores('tls'),
    'listener.name.tls.ssl.client.auth=none',
    ...stores('mtls'),
    'listener.name.mtls.ssl.client.auth=required',
    ...stores('sasl'),
    'listener.name.sasl.ssl.client.auth=none',
    'listener.name.sasl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    `listener.name.sasl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${setup.plain.username}="${jaasValue(setup.plain.password)}";`,
    'listener.name.sasl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
  ];
}

/** @param {SecureSetup} setup @returns {string[]} `StorageTool format` arguments that create the SCRAM users */
export function scramFormatArgs(setup) {
  return [
    '--add-scram',
    `SCRAM-SHA-256=[name=${setup.scram256.username},password=${setup.scram256.password}]`,
    '--add-scram',
    `SCRAM-SHA-512=[name=${setup.scram512.username},password=${setup.scram512.password}]`,
  ];
}
