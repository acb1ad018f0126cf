import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { DEFAULT_USER_AGENT } from '../../../src/update/update-schema.js';
import { configProblemsOrNone } from '../../helpers/config-problems.js';

function problems(raw: unknown, env: NodeJS.ProcessEnv = {}): readonly string[] {
  return configProblemsOrNone(() => parseConfig(raw, 'test', env));
}

describe('update configuration', () => {
  it('has a default for every option', () => {
    expect(parseConfig({}, 'test').update).toEqual({
      timeout_ms: 30_000,
      retries: 3,
      backoff_base_ms: 1000,
      max_bytes: 256 * 1024 * 1024,
      user_agent: DEFAULT_USER_AGENT,
      concurrency: 4,
    });
  });

  it('names every bad option by its path', () => {
    const found = problems({ update: { timeout_ms: 0, retries: -1, concurrency: 1.5, max_bytes: 'lots', user_agent: '', proxy: 'x' } });
    for (const path of ['update.timeout_ms', 'update.retries', 'update.concurrency', 'update.max_bytes', 'update.user_agent']) {
      expect(found.some((p) => p.startsWith(`${path}:`)), path).toBe(true);
    }
    expect(found.some((p) => p.includes('proxy'))).toBe(true);
  });

  it('takes IPRISK_UPDATE__* overrides from the environment', () => {
    const config = parseConfig({}, 'test', { IPRISK_UPDATE__RETRIES: '0', IPRISK_UPDATE__TIMEOUT_MS: '5000' });
    expect(config.update.retries).toBe(0);
    expect(config.update.timeout_ms).toBe(5000);
  });
});
