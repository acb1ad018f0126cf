import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { ApiKeyStore, envApiKeys, keyId, readApiKeysFile } from '../../../src/http/api-keys.js';

describe('ApiKeyStore', () => {
  it('accepts exactly the configured keys and names them by id', () => {
    const store = new ApiKeyStore(['alpha-key-1', 'beta-key-2', 'alpha-key-1']);
    expect(store.size).toBe(2);
    expect(store.verify('beta-key-2')).toBe(keyId('beta-key-2'));
    expect(store.verify('alpha-key-1')).toBe(keyId('alpha-key-1'));
    expect(store.verify('alpha-key-')).toBeUndefined();
    expect(store.verify('alpha-key-12')).toBeUndefined();
    expect(store.verify('')).toBeUndefined();
  });

  it('never exposes a key in its ids', () => {
    const store = new ApiKeyStore(['secret-value-123']);
    expect(store.keyIds).toEqual([keyId('secret-value-123')]);
    expect(store.keyIds[0]).not.toContain('secret');
    expect(store.keyIds[0]).toMatch(/^key-[0-9a-f]{8}$/);
  });
});

describe('API keys from a file and the environment', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'iprisk-keys-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads one key per line, skipping blank lines and comments', async () => {
    const file = path.join(dir, 'keys.txt');
    await writeFile(file, '# team keys\nkey-one\n\n  key-two  \r\n# old: key-zero\n');
    expect(readApiKeysFile(file)).toEqual(['key-one', 'key-two']);
  });

  it('reports unusable keys by line without echoing them', async () => {
    const file = path.join(dir, 'keys.txt');
    await writeFile(file, 'good-key\nbad|secret\nwith space\n');
    let problems: readonly string[] = [];
    try {
      readApiKeysFile(file);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      problems = (err as ConfigError).problems;
    }
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('line 2');
    expect(problems[1]).toContain('line 3');
    expect(problems.join()).not.toContain('secret');
  });

  it('names a missing keys file', () => {
    expect(() => readApiKeysFile(path.join(dir, 'absent.txt'))).toThrow(/serve\.api_keys_file .*absent\.txt/);
  });

  it('splits IPRISK_API_KEYS on commas', () => {
    expect(envApiKeys({ IPRISK_API_KEYS: 'a1, b2,,c3 ' })).toEqual(['a1', 'b2', 'c3']);
    expect(envApiKeys({})).toEqual([]);
    expect(() => envApiKeys({ IPRISK_API_KEYS: 'ok,not{ok}' })).toThrow(/entry 2/);
  });
});
