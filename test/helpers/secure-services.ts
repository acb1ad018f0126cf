// Secured services for the tests of TLS, mutual TLS, SASL and an https registry with basic
// auth: a second local broker with secured listeners (scripts/stack.js with KAFKA_SECURE=1 in
// its own stack folder, so the shared test stack is left as it is) and Debian's nginx
// terminating TLS and checking basic auth in front of the real schema registry.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runStackScript } from './stack-script.js';
import { waitFor } from './kafka.js';

export interface Credentials {
  username: string;
  password: string;
}

/** What scripts/stack/secure.js writes to setup.json. */
export interface SecureBroker {
  /** The PLAINTEXT listener (the stack's own; tests use the secured ones). */
  plaintext: string;
  tls: string;
  mtls: string;
  sasl: string;
  caFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  plain: Credentials;
  scram256: Credentials;
  scram512: Credentials;
  stop(): Promise<void>;
}

/** A broker with TLS, mutual-TLS and SASL_SSL listeners, on free ports, in a stack folder of its own. */
export async function startSecureBroker(): Promise<SecureBroker> {
  const dir = mkdtempSync(path.join(tmpdir(), 'iprisk-secure-stack-'));
  const env = { STACK_DIR: dir, KAFKA_SECURE: '1', KAFKA_PORT: '0', KAFKA_CONTROLLER_PORT: '0', KAFKA_TLS_PORT: '0', KAFKA_MTLS_PORT: '0', KAFKA_SASL_PORT: '0' };
  const up = JSON.parse((await runStackScript(['up', 'kafka', '--json'], { env: { ...process.env, ...env }, timeoutMs: 10 * 60_000 })).trim().split('\n').at(-1) ?? '{}') as {
    kafkaBrokers: string;
    kafkaSecure: string;
  };
  const setup = JSON.parse(readFileSync(up.kafkaSecure, 'utf8')) as {
    dir: string;
    tlsPort: number;
    mtlsPort: number;
    saslPort: number;
    caFile: string;
    clientCertFile: string;
    clientKeyFile: string;
    plain: Credentials;
    scram256: Credentials;
    scram512: Credentials;
  };
  return {
    plaintext: up.kafkaBrokers,
    tls: `127.0.0.1:${setup.tlsPort}`,
    mtls: `127.0.0.1:${setup.mtlsPort}`,
    sasl: `127.0.0.1:${setup.saslPort}`,
    caFile: setup.caFile,
    clientCertFile: setup.clientCertFile,
    clientKeyFile: setup.clientKeyFile,
    serverCertFile: path.join(setup.dir, 'server.pem'),
    serverKeyFile: path.join(setup.dir, 'server.key'),
    plain: setup.plain,
    scram256: setup.scram256,
    scram512: setup.scram512,
    async stop() {
      await runStackScript(['down', 'kafka'], { env: { ...process.env, ...env }, timeoutMs: 2 * 60_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function nginxBinary(): string {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    try {
      execFileSync(candidate, ['-v'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error('the https registry tests need nginx (Debian: apt-get install -y nginx; .ci/run installs it)');
}

export interface TlsProxy {
  /** The registry's Confluent-compatible base URL behind the proxy, https. */
  url: string;
  credentials: Credentials;
  stop(): Promise<void>;
}

/**
 * nginx on a free port: TLS with the given certificate, HTTP basic auth, then a plain proxy to
 * `upstreamUrl` (the registry's own base URL; its path is kept).
 */
export async function startTlsProxy(upstreamUrl: string, tls: { certFile: string; keyFile: string }, credentials: Credentials): Promise<TlsProxy> {
  const upstream = new URL(upstreamUrl);
  const dir = mkdtempSync(path.join(tmpdir(), 'iprisk-nginx-'));
  // Workers run as an unprivileged user when nginx starts as root: they must read the folder.
  chmodSync(dir, 0o755);
  mkdirSync(path.join(dir, 'temp'), { mode: 0o777 });
  const hash = execFileSync('openssl', ['passwd', '-apr1', credentials.password], { encoding: 'utf8' }).trim();
  writeFileSync(path.join(dir, 'htpasswd'), `${credentials.username}:${hash}\n`, { mode: 0o644 });
  const port = await freePort();
  const temp = path.join(dir, 'temp');
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    [
      'worker_processes 1;',
      'daemon off;',
      `pid ${path.join(dir, 'nginx.pid')};`,
      `error_log ${path.join(dir, 'error.log')} warn;`,
      'events { worker_connections 128; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${temp}/${t};`),
      '  server {',
      `    listen 127.0.0.1:${port} ssl;`,
      `    ssl_certificate ${tls.certFile};`,
      `    ssl_certificate_key ${tls.keyFile};`,
      '    location / {',
      '      auth_basic "schema registry";',
      `      auth_basic_user_file ${path.join(dir, 'htpasswd')};`,
      '      proxy_set_header Authorization "";',
      `      proxy_pass http://${upstream.host};`,
      '    }',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(nginxBinary(), ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
  const url = `https://127.0.0.1:${port}${upstream.pathname.replace(/\/+$/, '')}`;
  await waitFor(
    'nginx to accept TLS connections',
    () =>
      new Promise<true | undefined>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => { resolve(undefined); });
      }),
    { timeoutMs: 15_000, describe: () => readFileSafe(path.join(dir, 'error.log')) },
  );
  return {
    url,
    credentials,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => {
          child.once('exit', resolve);
        });
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
