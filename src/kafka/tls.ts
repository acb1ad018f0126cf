import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { IpriskError, errorMessage } from '../errors.js';
import type { TlsConfig } from './kafka-schema.js';
import { resolveSecret } from './secrets.js';

/**
 * Node TLS options from a `tls` section (brokers or schema registry): PEM files relative to the
 * config's folder, read once at start. A file that cannot be read is a configuration error
 * naming the field and the path, never the contents.
 */
export function tlsConnectionOptions(tls: TlsConfig, what: string, baseDir: string, env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const read = (file: string | undefined, field: string): Buffer | undefined => {
    if (file === undefined) return undefined;
    const resolved = path.resolve(baseDir, file);
    try {
      return readFileSync(resolved);
    } catch (err) {
      throw new IpriskError('CONFIG_UNREADABLE', `${what}.${field}: cannot read ${resolved}: ${errorMessage(err)}`, { cause: err });
    }
  };
  const ca = read(tls.ca_file, 'ca_file');
  const cert = read(tls.cert_file, 'cert_file');
  const key = read(tls.key_file, 'key_file');
  return {
    rejectUnauthorized: tls.reject_unauthorized,
    ...(ca ? { ca: [ca] } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(tls.key_password ? { passphrase: resolveSecret(tls.key_password, `${what}.key_password`, baseDir, env) } : {}),
    ...(tls.servername ? { servername: tls.servername } : {}),
  };
}
