import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IpriskError, errorMessage } from '../errors.js';
import type { SecretConfig } from './kafka-schema.js';

/** Resolves a secret given inline, as `{env: NAME}` or as `{file: PATH}` (relative to baseDir). */
export function resolveSecret(secret: SecretConfig, what: string, baseDir: string, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof secret === 'string') return secret;
  if ('env' in secret) {
    const value = env[secret.env];
    if (value === undefined || value === '') throw new IpriskError('CONFIG_INVALID', `${what}: environment variable ${secret.env} is not set`);
    return value;
  }
  const file = path.resolve(baseDir, secret.file);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new IpriskError('CONFIG_UNREADABLE', `${what}: cannot read ${file}: ${errorMessage(err)}`, { cause: err });
  }
}
