import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleIndex } from '../../../src/cli/open-index.js';
import { ApiKeyStore } from '../../../src/http/api-keys.js';
import { serveSchema } from '../../../src/http/serve-schema.js';
import { SecurityApiServer } from '../../../src/http/server.js';
import { emptySecurity } from '../../../src/security/record.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { SEED_34, SEED_35 } from '../../helpers/seed-answers.js';
import { closedAfterEach, provider, pubs } from './support.js';

/**
 * The `iprisk` provider against a real `iprisk serve` (SecurityApiServer over the bundled
 * sample index, whose rows are the seed's documented answers) on 127.0.0.1.
 */
let serve: SecurityApiServer | undefined;
let base = '';

beforeEach(async () => {
  serve = new SecurityApiServer({
    config: serveSchema.parse({}),
    index: { current: await sampleIndex() },
    keys: new ApiKeyStore(['serve-key']),
    metrics: createMetrics({ defaultMetrics: false }),
  });
  base = (await serve.listen(0, '127.0.0.1')).url;
});

afterEach(async () => {
  await serve?.close(1_000);
  serve = undefined;
});

// Registered after the server's afterEach, so (hooks run as a stack) the remotes close first.
const { harness } = closedAfterEach();

describe('the iprisk provider against a real iprisk serve', () => {
  it('gets the seed answers over the bulk endpoint, and the defaults for an address the index does not hold', async () => {
    const h = harness({ providers: [provider('iprisk', base, { api_key: 'serve-key' })] });
    const answers = await h.remote.lookup(pubs('2.56.188.34', '2.56.188.35', '8.8.8.8'));

    expect(answers.get('2.56.188.34')).toEqual({ security: SEED_34.security, source: 'remote', matchedNetwork: null, stale: false });
    expect(answers.get('2.56.188.35')?.security).toEqual(SEED_35.security);
    expect(answers.get('8.8.8.8')?.security).toEqual(emptySecurity());
  });

  it('gets a lone address over the single endpoint', async () => {
    const h = harness({ providers: [provider('iprisk', base, { api_key: 'serve-key' })] });
    const answers = await h.remote.lookup(pubs('2.56.188.34'));
    expect(answers.get('2.56.188.34')?.security).toEqual(SEED_34.security);
  });

  it('is disabled with REMOTE_UNAUTHORIZED when serve refuses its key', async () => {
    const h = harness({ on_remote_failure: 'block', providers: [provider('iprisk', base, { api_key: 'wrong-key' })] });
    const error = await h.remote.lookup(pubs('2.56.188.34', '8.8.8.8')).catch((err: unknown) => err);

    expect(error).toMatchObject({ code: 'REMOTE_UNAUTHORIZED' });
    expect(h.remote.status()[0]?.disabled).toMatch(/remote provider 'iprisk' \(iprisk\) refused its API key or account \(HTTP 401/);
    expect(h.log.text()).not.toContain('wrong-key');
  });
});
