import { describe, expect, it } from 'vitest';
import { IpriskError } from '../../../src/errors.js';
import { emptySecurity } from '../../../src/security/record.js';
import { closedAfterEach, metricValue, provider, pubs } from './support.js';

const { faultServer, harness } = closedAfterEach();

const VPN = { is_vpn: true, threat_score: 30, vpn_provider_names: ['Nord VPN'] };

describe('retries', () => {
  it('retries a reset connection, a 500 and a malformed body, then answers', async () => {
    const server = await faultServer({ table: { '8.8.8.8': VPN } });
    server.fail({ kind: 'reset' }, { kind: 'status', status: 500 }, { kind: 'malformed' });
    const h = harness({ providers: [provider('ipgeolocation', server.url, { retries: 3 })] });
    const answers = await h.remote.lookup(pubs('8.8.8.8'));

    expect(answers.get('8.8.8.8')?.security).toMatchObject(VPN);
    expect(server.requests.map((r) => r.fault)).toEqual(['reset', 'status', 'malformed', null]);
    const outcome = (o: string): Promise<number> => metricValue(h.metrics.remoteRequests, { provider: 'ipgeolocation', outcome: o });
    expect([await outcome('network'), await outcome('server_error'), await outcome('malformed'), await outcome('ok')]).toEqual([1, 1, 1, 1]);
  });

  it('retries a request that timed out', async () => {
    const server = await faultServer({ table: { '8.8.8.8': VPN } });
    server.fail({ kind: 'delay', ms: 3_000 });
    const h = harness({ providers: [provider('ipgeolocation', server.url, { retries: 1, timeout_ms: 300 })] });
    const answers = await h.remote.lookup(pubs('8.8.8.8'));

    expect(answers.get('8.8.8.8')?.security.is_vpn).toBe(true);
    expect(server.requests).toHaveLength(2);
    expect(await metricValue(h.metrics.remoteRequests, { provider: 'ipgeolocation', outcome: 'timeout' })).toBe(1);
  });

  it('gives up after `retries` further attempts and leaves the addresses unanswered', async () => {
    const server = await faultServer({});
    server.failAll({ kind: 'status', status: 503 });
    const h = harness({ providers: [provider('ipgeolocation', server.url, { retries: 2 })] });
    const resolved = await h.remote.resolve(pubs('8.8.8.8', '1.1.1.1'));

    expect(server.requests).toHaveLength(3);
    expect([...resolved.values()]).toEqual([
      { kind: 'unanswered', reason: 'error' },
      { kind: 'unanswered', reason: 'error' },
    ]);
    expect(h.log.text()).toContain('/v3/security-bulk?apiKey=[redacted]');
    expect(h.log.text()).not.toContain('test-key-123');
  });

  it('never logs the IPQS key that sits in its request path', async () => {
    const server = await faultServer({});
    server.failAll({ kind: 'status', status: 500, body: 'upstream said: bad key test-key-123' });
    const h = harness({ providers: [provider('ipqs', server.url, { retries: 1 })] });
    await h.remote.resolve(pubs('8.8.8.8'));

    expect(server.requests).toHaveLength(2);
    expect(h.log.text()).toContain('/api/json/ip/[redacted]/8.8.8.8?');
    expect(h.log.text()).not.toContain('test-key-123');
  });

  it('waits as long as Retry-After says on a 429, cut to retry_after_max_ms', async () => {
    const server = await faultServer({ table: { '8.8.8.8': VPN } });
    // One hour asked for; the cap holds the wait to 150 ms. Jitter is 0, so any wait is Retry-After's.
    server.fail({ kind: 'rate_limit', retryAfter: '3600' });
    const at: number[] = [];
    server.on('request', () => at.push(performance.now()));
    const h = harness({ providers: [provider('ipgeolocation', server.url, { retries: 1, retry_after_max_ms: 150 })] });
    const answers = await h.remote.lookup(pubs('8.8.8.8'));

    expect(answers.get('8.8.8.8')?.security.is_vpn).toBe(true);
    expect(server.requests.map((r) => r.fault)).toEqual(['rate_limit', null]);
    // A lower bound only: the retry must not come before the provider allowed it.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(140);
    expect(await metricValue(h.metrics.remoteRequests, { provider: 'ipgeolocation', outcome: 'rate_limited' })).toBe(1);
  });

  it('does not retry other 4xx answers', async () => {
    const server = await faultServer({});
    server.failAll({ kind: 'status', status: 400, body: '{"message":"bad request"}' });
    const h = harness({ providers: [provider('ipgeolocation', server.url, { retries: 3, single_ip_endpoint: false })] });
    const resolved = await h.remote.resolve(pubs('8.8.8.8', '1.1.1.1'));

    expect(server.requests).toHaveLength(1);
    expect(resolved.get('8.8.8.8')).toEqual({ kind: 'unanswered', reason: 'error' });
    expect(await metricValue(h.metrics.remoteRequests, { provider: 'ipgeolocation', outcome: 'client_error' })).toBe(1);
  });

  it('splits a bulk request the provider finds too large (413) and asks the halves', async () => {
    const server = await faultServer({});
    server.fail({ kind: 'status', status: 413 });
    const h = harness({ providers: [provider('ipgeolocation', server.url, { single_ip_endpoint: false })] });
    const resolved = await h.remote.resolve(pubs('8.8.8.8', '1.1.1.1', '9.9.9.9'));

    expect(server.requests.map((r) => r.ips)).toEqual([['8.8.8.8', '1.1.1.1', '9.9.9.9'], ['8.8.8.8', '1.1.1.1'], ['9.9.9.9']]);
    expect([...resolved.values()].every((r) => r.kind === 'answer')).toBe(true);
  });
});

describe('partial bulk answers', () => {
  const table = {
    '8.8.8.8': { is_tor: true, threat_score: 40 },
    '1.1.1.1': { is_cloud_provider: true, cloud_provider_name: 'Cloudflare', threat_score: 5 },
    '9.9.9.9': { is_vpn: true, threat_score: 30 },
    '4.4.4.4': { is_spam: true, threat_score: 15 },
    '5.5.5.5': { is_bot: true, threat_score: 15 },
  };

  it('never gives an address another address\'s answer when entries are missing, reordered or unasked', async () => {
    const server = await faultServer({ table });
    server.fail({ kind: 'partial', drop: ['1.1.1.1'], extra: ['5.5.5.5'], reverse: true });
    const h = harness({ providers: [provider('ipgeolocation', server.url, { retries: 0 })] });
    const resolved = await h.remote.resolve(pubs('8.8.8.8', '1.1.1.1', '9.9.9.9', '4.4.4.4'));

    expect(resolved.get('8.8.8.8')).toMatchObject({ kind: 'answer', answer: { security: { is_tor: true, threat_score: 40 } } });
    expect(resolved.get('9.9.9.9')).toMatchObject({ kind: 'answer', answer: { security: { is_vpn: true, threat_score: 30 } } });
    expect(resolved.get('4.4.4.4')).toMatchObject({ kind: 'answer', answer: { security: { is_spam: true, threat_score: 15 } } });
    expect(resolved.get('1.1.1.1')).toEqual({ kind: 'unanswered', reason: 'error' });
    expect(resolved.has('5.5.5.5')).toBe(false);
    expect(h.log.text()).toContain('did not match the addresses asked');
  });

  it('asks again, within the retries, for the addresses an answer left out', async () => {
    const server = await faultServer({ table });
    server.fail({ kind: 'partial', drop: ['1.1.1.1', '4.4.4.4'] });
    const h = harness({ providers: [provider('ipgeolocation', server.url, { retries: 1, single_ip_endpoint: false })] });
    const resolved = await h.remote.resolve(pubs('8.8.8.8', '1.1.1.1', '9.9.9.9', '4.4.4.4'));

    expect(server.requests.map((r) => r.ips)).toEqual([['8.8.8.8', '1.1.1.1', '9.9.9.9', '4.4.4.4'], ['1.1.1.1', '4.4.4.4']]);
    expect(resolved.get('1.1.1.1')).toMatchObject({ kind: 'answer', answer: { security: { cloud_provider_name: 'Cloudflare' } } });
    expect(resolved.get('4.4.4.4')).toMatchObject({ kind: 'answer', answer: { security: { is_spam: true } } });
  });
});

describe('the circuit breaker', () => {
  it('opens after failure_threshold failures, refuses without requests, half-opens after open_ms and closes on success', async () => {
    const server = await faultServer({ table: { '4.4.4.4': VPN } });
    server.failAll({ kind: 'status', status: 500 });
    const h = harness({ providers: [provider('ipgeolocation', server.url, { breaker: { failure_threshold: 3, open_ms: 10_000 } })] });
    const circuit = (): Promise<number> => metricValue(h.metrics.circuitState, { provider: 'ipgeolocation' });

    for (const ip of ['8.8.8.8', '1.1.1.1', '9.9.9.9']) await h.remote.resolve(pubs(ip));
    expect(server.requests).toHaveLength(3);
    expect(h.remote.status()[0]?.circuit).toBe('open');
    expect(await circuit()).toBe(2);

    // Open: refused without a request.
    expect((await h.remote.resolve(pubs('4.4.4.4'))).get('4.4.4.4')).toEqual({ kind: 'unanswered', reason: 'circuit_open' });
    expect(server.requests).toHaveLength(3);
    expect(await metricValue(h.metrics.remoteSkippedIps, { provider: 'ipgeolocation', reason: 'circuit_open' })).toBe(1);

    // open_ms later a trial goes out; it fails, so the circuit opens again.
    h.clock.advance(10_000);
    expect(h.remote.status()[0]?.circuit).toBe('half_open');
    await h.remote.resolve(pubs('4.4.4.4'));
    expect(server.requests).toHaveLength(4);
    expect(h.remote.status()[0]?.circuit).toBe('open');

    // The provider recovers: the next trial succeeds and closes the circuit.
    server.heal();
    h.clock.advance(10_000);
    const answer = (await h.remote.resolve(pubs('4.4.4.4'))).get('4.4.4.4');
    expect(answer).toMatchObject({ kind: 'answer', answer: { security: { is_vpn: true } } });
    expect(server.requests).toHaveLength(5);
    expect(h.remote.status()[0]?.circuit).toBe('closed');
    expect(await circuit()).toBe(0);
  });

  it('lets exactly one trial through while half-open', async () => {
    const server = await faultServer({});
    server.failAll({ kind: 'status', status: 500 });
    const h = harness({ providers: [provider('ipgeolocation', server.url, { concurrency: 4, max_ips_per_request: 1, single_ip_endpoint: false, breaker: { failure_threshold: 1, open_ms: 1_000 } })] });
    await h.remote.resolve(pubs('8.8.8.8'));
    expect(h.remote.status()[0]?.circuit).toBe('open');
    server.heal();
    h.clock.advance(1_000);
    const resolved = await h.remote.resolve(pubs('1.1.1.1', '9.9.9.9', '4.4.4.4'));

    expect(server.requests).toHaveLength(2);
    expect([...resolved.values()].filter((r) => r.kind === 'answer')).toHaveLength(1);
    expect([...resolved.values()].filter((r) => r.kind === 'unanswered' && r.reason === 'circuit_open')).toHaveLength(2);
  });
});

describe('the budget', () => {
  it('asks at most budget_ips_per_minute addresses and leaves the rest unanswered without a request', async () => {
    const server = await faultServer({});
    const h = harness({ providers: [provider('ipgeolocation', server.url, { budget_ips_per_minute: 3 })] });
    const first = await h.remote.resolve(pubs('8.8.8.8', '1.1.1.1', '9.9.9.9', '4.4.4.4', '5.5.5.5'));

    expect(server.requests.flatMap((r) => r.ips)).toEqual(['8.8.8.8', '1.1.1.1', '9.9.9.9']);
    expect(first.get('4.4.4.4')).toEqual({ kind: 'unanswered', reason: 'budget' });
    expect(first.get('5.5.5.5')).toEqual({ kind: 'unanswered', reason: 'budget' });

    const second = await h.remote.resolve(pubs('6.6.6.6'));
    expect(second.get('6.6.6.6')).toEqual({ kind: 'unanswered', reason: 'budget' });
    expect(server.requests).toHaveLength(1);
    expect(await metricValue(h.metrics.remoteSkippedIps, { provider: 'ipgeolocation', reason: 'budget' })).toBe(3);

    // A third of a minute refills a third of the budget.
    h.clock.advance(20_000);
    const third = await h.remote.resolve(pubs('4.4.4.4', '5.5.5.5'));
    expect(server.requests.flatMap((r) => r.ips)).toEqual(['8.8.8.8', '1.1.1.1', '9.9.9.9', '4.4.4.4']);
    expect(third.get('5.5.5.5')).toEqual({ kind: 'unanswered', reason: 'budget' });
  });
});

describe('a refused key', () => {
  it('disables the provider on 401 with REMOTE_UNAUTHORIZED, logged once at error level, with no further requests', async () => {
    const server = await faultServer({ apiKey: 'the-right-key' });
    const h = harness({ providers: [provider('ipgeolocation', server.url, { api_key: 'a-wrong-key', retries: 3 })] });
    const first = await h.remote.resolve(pubs('8.8.8.8'));
    const second = await h.remote.resolve(pubs('1.1.1.1', '9.9.9.9'));

    expect(server.requests).toHaveLength(1);
    expect(first.get('8.8.8.8')).toEqual({ kind: 'unanswered', reason: 'disabled' });
    expect(second.get('9.9.9.9')).toEqual({ kind: 'unanswered', reason: 'disabled' });
    const status = h.remote.status()[0]!;
    expect(status.disabled).toMatch(/remote provider 'ipgeolocation' \(ipgeolocation\) refused its API key or account \(HTTP 401: Provided API key is not valid\.\)/);
    const errors = h.log.lines().filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'REMOTE_UNAUTHORIZED', status: 401, provider: 'ipgeolocation' });
    expect(h.log.text()).not.toContain('a-wrong-key');
    expect(await metricValue(h.metrics.remoteRequests, { provider: 'ipgeolocation', outcome: 'unauthorized' })).toBe(1);
  });

  it('treats 403 the same way, and under on_remote_failure: block rejects with REMOTE_UNAUTHORIZED at once', async () => {
    const server = await faultServer({});
    server.failAll({ kind: 'status', status: 403, body: '{"message":"account locked"}' });
    const h = harness({ on_remote_failure: 'block', block_max_wait_ms: 60_000, providers: [provider('ipgeolocation', server.url)] });
    const error = await h.remote.lookup(pubs('8.8.8.8')).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(IpriskError);
    expect((error as IpriskError).code).toBe('REMOTE_UNAUTHORIZED');
    expect((error as IpriskError).message).toContain('HTTP 403: account locked');
    expect(server.requests).toHaveLength(1);
  });
});

describe('a chain of providers', () => {
  it('asks the next provider only for what the first left unanswered or did not know', async () => {
    const first = await faultServer({ table: { '8.8.8.8': VPN, '9.9.9.9': { message: "'9.9.9.9' is not known here." } } });
    const server = await faultServer({ table: { '9.9.9.9': { is_tor: true, threat_score: 40 }, '1.1.1.1': { is_spam: true, threat_score: 15 } } });
    first.fail({ kind: 'partial', drop: ['1.1.1.1'] });
    const h = harness({ providers: [provider('ipgeolocation', first.url), provider('iprisk', server.url)] });
    const answers = await h.remote.lookup(pubs('8.8.8.8', '9.9.9.9', '1.1.1.1'));

    expect(answers.get('8.8.8.8')?.security).toMatchObject({ is_vpn: true });
    expect(answers.get('9.9.9.9')?.security).toMatchObject({ is_tor: true });
    expect(answers.get('1.1.1.1')?.security).toMatchObject({ is_spam: true });
    expect(server.requests.flatMap((r) => r.ips)).toEqual(['9.9.9.9', '1.1.1.1']);
  });

  it('asks for stale index answers only the providers set to ask: stale', async () => {
    const missOnly = await faultServer({});
    const server = await faultServer({ table: { '8.8.8.8': VPN } });
    const h = harness({ providers: [provider('ipgeolocation', missOnly.url), provider('iprisk', server.url, { ask: 'stale' })] });
    expect(h.remote.asksWhenStale).toBe(true);
    const answers = await h.remote.lookup(pubs('8.8.8.8'), { reason: 'stale' });

    expect(answers.get('8.8.8.8')?.security.is_vpn).toBe(true);
    expect(missOnly.requests).toHaveLength(0);
    expect(server.requests).toHaveLength(1);
  });

  it('answers with the defaults record when a provider knows the address is clean, and stops there', async () => {
    const server = await faultServer({});
    const h = harness({ providers: [provider('iprisk', server.url)] });
    const answers = await h.remote.lookup(pubs('8.8.8.8'));
    expect(answers.get('8.8.8.8')?.security).toEqual(emptySecurity());
  });
});
