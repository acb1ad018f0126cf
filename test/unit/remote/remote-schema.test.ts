import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { createRemote } from '../../../src/remote/create.js';
import { remoteSchema } from '../../../src/remote/remote-schema.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { configProblems } from '../../helpers/config-problems.js';

const logger = createLogger({ level: 'silent' });
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the remote config section', () => {
  it('has no provider by default, and then createRemote gives no remote', () => {
    const config = parseConfig({}, 'test');
    expect(config.remote.providers).toEqual([]);
    expect(config.remote.on_remote_failure).toBe('pass');
    expect(config.remote.cache).toEqual({ ttl_secs: 43_200, clean_ttl_secs: 3_600, max_entries: 100_000, max_bytes: 67_108_864, stale_serve_secs: 86_400 });
    expect(createRemote(config.remote, { logger })).toBeUndefined();
  });

  it('fills every provider default, the seed bulk limit included', () => {
    const config = parseConfig({ remote: { providers: [{ type: 'ipgeolocation', api_key: 'k' }] } }, 'test');
    expect(config.remote.providers[0]).toEqual({
      type: 'ipgeolocation',
      api_key: 'k',
      ask: 'miss',
      concurrency: 4,
      timeout_ms: 5_000,
      retries: 2,
      backoff_base_ms: 100,
      backoff_max_ms: 5_000,
      retry_after_max_ms: 30_000,
      max_ips_per_request: 50_000,
      single_ip_endpoint: true,
      fields: [],
      budget_ips_per_minute: 0,
      breaker: { failure_threshold: 5, open_ms: 30_000 },
      ipqs: { strictness: 0, fast: true, mobile: false, allow_public_access_points: true, lighter_penalties: false },
    });
  });

  it('lists every problem by path', () => {
    const problems = configProblems(() =>
      parseConfig(
        {
          remote: {
            on_remote_failure: 'drop',
            providers: [
              { type: 'ipgeolocation' },
              { type: 'iprisk', max_ips_per_request: 50_001, fields: ['security.nope'] },
              { type: 'ipqs', api_key: 'a', api_key_env: 'B', ipqs: { strictness: 4 }, base_url: 'ftp://x' },
              { type: 'ipgeolocation', name: 'ipgeolocation', api_key: 'k', backoff_base_ms: 10, backoff_max_ms: 5, bogus: 1 },
            ],
          },
        },
        'test',
      ),
    );
    const paths = problems.map((p) => p.split(':')[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        'remote.on_remote_failure',
        'remote.providers.0.api_key',
        'remote.providers.1.base_url',
        'remote.providers.1.max_ips_per_request',
        'remote.providers.1.fields.0',
        'remote.providers.2.api_key_env',
        'remote.providers.2.ipqs.strictness',
        'remote.providers.2.base_url',
        'remote.providers.3',
      ]),
    );
    expect(problems.join('\n')).toContain("'security.nope' is not a security field path");
    expect(problems.join('\n')).toContain("got 'ftp://x'");
  });

  it('rejects two providers with one name and a max backoff below the base', () => {
    const result = remoteSchema.safeParse({
      providers: [
        { type: 'iprisk', base_url: 'http://127.0.0.1:1' },
        { type: 'iprisk', base_url: 'http://127.0.0.1:2', backoff_base_ms: 10, backoff_max_ms: 5 },
      ],
    });
    expect(result.success).toBe(false);
    const messages = result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(messages).toContain("providers.1.name: provider name 'iprisk' is already used by providers.0: give each a unique name");
    expect(messages).toContain('providers.1.backoff_max_ms: backoff_max_ms (5) is below backoff_base_ms (10)');
  });
});

describe('API keys', () => {
  it('come from the environment or a file relative to the config folder, and problems name the path, never the key', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'iprisk-keys-'));
    writeFileSync(path.join(dir, 'empty.txt'), '  \n');
    const config = remoteSchema.parse({
      providers: [
        { name: 'a', type: 'ipgeolocation', api_key_env: 'IPGEO_KEY' },
        { name: 'b', type: 'ipqs', api_key_file: 'missing.txt' },
        { name: 'c', type: 'ipqs', api_key_file: 'empty.txt' },
      ],
    });
    const problems = configProblems(() => createRemote(config, { logger, baseDir: dir, env: {} }));
    expect(problems).toEqual([
      'remote.providers.0.api_key_env: environment variable IPGEO_KEY is not set or empty',
      expect.stringMatching(/^remote\.providers\.1\.api_key_file: cannot read .*missing\.txt: /),
      `remote.providers.2.api_key_file: ${path.join(dir, 'empty.txt')} is empty`,
    ]);

    writeFileSync(path.join(dir, 'key.txt'), 'from-file\n');
    const ok = remoteSchema.parse({
      providers: [
        { name: 'a', type: 'ipgeolocation', api_key_env: 'IPGEO_KEY', base_url: 'http://127.0.0.1:9' },
        { name: 'b', type: 'ipqs', api_key_file: 'key.txt', base_url: 'http://127.0.0.1:9' },
        { name: 'idle', type: 'ipqs', ask: 'never', api_key_env: 'UNSET' },
      ],
    });
    const remote = createRemote(ok, { logger, baseDir: dir, env: { IPGEO_KEY: 'from-env' } });
    expect(remote?.status().map((s) => s.name)).toEqual(['a', 'b']);
    await remote?.close();
  });
});
