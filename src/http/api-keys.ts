import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, IpriskError, errorMessage } from '../errors.js';
import { FORBIDDEN_URL_CHARACTERS } from './serve-schema.js';

/** The environment variable holding extra API keys, comma-separated. */
export const API_KEYS_ENV = 'IPRISK_API_KEYS';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** How logs and metrics name a key: a short prefix of its SHA-256, never the key itself. */
export function keyId(key: string): string {
  return `key-${sha256(key).toString('hex').slice(0, 8)}`;
}

/**
 * The accepted API keys, held as SHA-256 digests. Every check hashes the candidate and compares
 * it with every key in constant time (equal-length digests, no early exit), so neither the
 * answer time nor the key length tells an attacker how close a guess was.
 */
export class ApiKeyStore {
  private keys: KeySet;

  constructor(keys: readonly string[]) {
    this.keys = keySet(keys);
  }

  get size(): number {
    return this.keys.digests.length;
  }

  /** Key ids, for the start-up log line. */
  get keyIds(): readonly string[] {
    return this.keys.ids;
  }

  /** Swaps every key at once (a reloaded keys file): a check sees the old set or the new one. */
  replace(keys: readonly string[]): void {
    this.keys = keySet(keys);
  }

  /** The id of the key `candidate` is, or undefined. */
  verify(candidate: string): string | undefined {
    const { digests, ids } = this.keys;
    const digest = sha256(candidate);
    let match = -1;
    for (let i = 0; i < digests.length; i++) {
      if (timingSafeEqual(digest, digests[i]!) && match < 0) match = i;
    }
    return match < 0 ? undefined : ids[match];
  }
}

interface KeySet {
  readonly digests: readonly Buffer[];
  readonly ids: readonly string[];
}

function keySet(keys: readonly string[]): KeySet {
  const unique = [...new Set(keys)];
  return { digests: unique.map(sha256), ids: unique.map(keyId) };
}

/** Keys of a keys file: one per line, blank lines and `#` comments skipped. */
export function readApiKeysFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new IpriskError('CONFIG_UNREADABLE', `cannot read serve.api_keys_file ${file}: ${errorMessage(err)}`, { cause: err });
  }
  const keys: string[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const problem = keyProblem(line);
    // The key itself is never echoed: only where it is.
    if (problem) problems.push(`serve.api_keys_file ${file} line ${i + 1}: API key ${problem}`);
    else keys.push(line);
  });
  if (problems.length > 0) throw new ConfigError(file, problems);
  return keys;
}

/** Keys of $IPRISK_API_KEYS, comma-separated. */
export function envApiKeys(env: NodeJS.ProcessEnv): string[] {
  const value = env[API_KEYS_ENV];
  if (value === undefined) return [];
  const keys = value
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
  const problems = keys.flatMap((k, i) => {
    const problem = keyProblem(k);
    return problem ? [`${API_KEYS_ENV} entry ${i + 1}: API key ${problem}`] : [];
  });
  if (problems.length > 0) throw new ConfigError(API_KEYS_ENV, problems);
  return keys;
}

/** Why a key could never be sent in an `apiKey` URL parameter, or undefined when it is fine. */
export function keyProblem(key: string): string | undefined {
  if (!/^[\x21-\x7e]+$/.test(key)) return 'must be printable ASCII without spaces';
  if (FORBIDDEN_URL_CHARACTERS.test(key)) return 'must not contain ( ) [ ] { } | ^ `';
  return undefined;
}
