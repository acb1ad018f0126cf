import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleIndex } from '../../../src/cli/open-index.js';
import { ApiKeyStore } from '../../../src/http/api-keys.js';
import { serveSchema } from '../../../src/http/serve-schema.js';
import { SecurityApiServer } from '../../../src/http/server.js';
import { emptySecurity } from '../../../src/security/record.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import type { Harness } from './support.js';
import { harness, provider, pubs } from './support.js';

/**
 * The `iprisk` provider against a real `iprisk serve` (SecurityApiServer over the bundled
 * sample index, whose rows are the seed's documented answers) on 127.0.0.1.
 */
let serve: SecurityApiServer | undefined;
let base = '';
let h: Harness | undefined;

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
  await h?.remote.close();
  await serve?.close(1_000);
  h = undefined;
  serve = undefined;
});

/** Seed 001's answers for its two bulk example addresses. */
const SEED_34 = {
  threat_score: 80,
  is_tor: false,
  is_proxy: true,
  proxy_provider_names: ['Zyte Proxy'],
  proxy_confidence_score: 80,
  proxy_last_seen: '2025-12-12',
  is_residential_proxy: true,
  is_vpn: true,
  vpn_provider_names: ['Nord VPN'],
  vpn_confidence_score: 80,
  vpn_last_seen: '2026-01-19',
  is_relay: false,
  relay_provider_name: '',
  is_anonymous: true,
  is_known_attacker: true,
  is_bot: false,
  is_spam: false,
  is_cloud_provider: true,
  cloud_provider_name: 'Packethub S.A.',
};

describe('the iprisk provider against a real iprisk serve', () => {
  it('gets the seed answers over the bulk endpoint, and the defaults for an address the index does not hold', async () => {
    h = harness({ providers: [provider('iprisk', base, { api_key: 'serve-key' })] });
    const answers = await h.remote.lookup(pubs('2.56.188.34', '2.56.188.35', '8.8.8.8'));

    expect(answers.get('2.56.188.34')).toEqual({ security: SEED_34, source: 'remote', matchedNetwork: null, stale: false });
    expect(answers.get('2.56.188.35')?.security).toMatchObject({ threat_score: 35, is_known_attacker: true, is_cloud_provider: true });
    expect(answers.get('8.8.8.8')?.security).toEqual(emptySecurity());
  });

  it('gets a lone address over the single endpoint', async () => {
    h = harness({ providers: [provider('iprisk', base, { api_key: 'serve-key' })] });
    const answers = await h.remote.lookup(pubs('2.56.188.34'));
    expect(answers.get('2.56.188.34')?.security).toEqual(SEED_34);
  });

  it('is disabled with REMOTE_UNAUTHORIZED when serve refuses its key', async () => {
    h = harness({ on_remote_failure: 'block', providers: [provider('iprisk', base, { api_key: 'wrong-key' })] });
    const error = await h.remote.lookup(pubs('2.56.188.34', '8.8.8.8')).catch((err: unknown) => err);

    expect(error).toMatchObject({ code: 'REMOTE_UNAUTHORIZED' });
    expect(h.remote.status()[0]?.disabled).toMatch(/remote provider 'iprisk' \(iprisk\) refused its API key or account \(HTTP 401/);
    expect(h.log.text()).not.toContain('wrong-key');
  });
});
