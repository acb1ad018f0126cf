import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { serveSchema } from '../../../src/http/serve-schema.js';
import { configProblemsOrNone } from '../../helpers/config-problems.js';

function problems(raw: unknown, env: NodeJS.ProcessEnv = {}): readonly string[] {
  return configProblemsOrNone(() => parseConfig(raw, 'test', env));
}

describe('the serve config section', () => {
  it('defaults to loopback, no keys, no anonymous access and a body that fits 50,000 IPv6 addresses', () => {
    const serve = parseConfig({}, 'test').serve;
    expect(serve).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      api_keys: [],
      allow_anonymous: false,
      rate_limit_per_minute: 0,
      max_bulk_ips: 50_000,
    });
    const longest = JSON.stringify({ ips: new Array(50_000).fill('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff') }, null, 2);
    expect(Buffer.byteLength(longest)).toBeLessThan(serve.max_body_bytes);
  });

  it('reads a comma-separated key list from IPRISK_SERVE__API_KEYS', () => {
    expect(parseConfig({}, 'test', { IPRISK_SERVE__API_KEYS: 'k-one,k-two' }).serve.api_keys).toEqual(['k-one', 'k-two']);
  });

  it('leaves IPRISK_API_KEYS and IPRISK_LOG_LEVEL to their own readers', () => {
    expect(problems({}, { IPRISK_API_KEYS: 'a,b', IPRISK_LOG_LEVEL: 'debug' })).toEqual([]);
  });

  it('lists every bad option by path', () => {
    const found = problems({ serve: { port: 70_000, api_keys: ['ok', 'no(pe)'], max_body_bytes: 10, colour: 'red' } });
    expect(found.join('\n')).toMatch(/serve\.port/);
    expect(found.join('\n')).toMatch(/serve\.api_keys\.1/);
    expect(found.join('\n')).toMatch(/serve\.max_body_bytes/);
    expect(found.join('\n')).toMatch(/colour/);
  });

  it('parses on its own with every default', () => {
    expect(serveSchema.parse(undefined).bulk_chunk_size).toBe(500);
  });
});
