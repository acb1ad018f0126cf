import { describe, expect, it } from 'vitest';
import { IpriskError } from '../../../src/errors.js';
import { closedAfterEach, metricValue, provider, pubs } from './support.js';

const { faultServer, harness } = closedAfterEach();

const table = {
  '8.8.8.8': { is_vpn: true, threat_score: 30 },
  '9.9.9.9': { message: "'9.9.9.9' is a bogon IP address." },
};

describe('the answer cache', () => {
  it('serves answers from the cache for ttl_secs, clean answers and "nothing known" for clean_ttl_secs', async () => {
    const server = await faultServer({ table });
    const h = harness({ cache: { ttl_secs: 100, clean_ttl_secs: 10 }, providers: [provider('ipgeolocation', server.url, { single_ip_endpoint: false })] });
    const ips = pubs('8.8.8.8', '1.1.1.1', '9.9.9.9');
    const first = await h.remote.resolve(ips);
    expect(first.get('8.8.8.8')).toMatchObject({ kind: 'answer', answer: { source: 'remote' } });
    expect(first.get('1.1.1.1')).toMatchObject({ kind: 'answer', answer: { source: 'remote', security: { threat_score: 0 } } });
    expect(first.get('9.9.9.9')).toEqual({ kind: 'unknown' });

    h.clock.advance(9_999);
    const second = await h.remote.resolve(ips);
    expect(server.requests).toHaveLength(1);
    expect(second.get('8.8.8.8')).toMatchObject({ kind: 'answer', answer: { source: 'cache', stale: false, security: { is_vpn: true } } });
    expect(second.get('1.1.1.1')).toMatchObject({ kind: 'answer', answer: { source: 'cache' } });
    expect(second.get('9.9.9.9')).toEqual({ kind: 'unknown' });

    // Past the clean TTL: the clean answer and the "nothing known" are asked again, the flagged one is not.
    h.clock.advance(1);
    await h.remote.resolve(ips);
    expect(server.requests[1]?.ips).toEqual(['1.1.1.1', '9.9.9.9']);

    h.clock.advance(100_000);
    await h.remote.resolve(ips);
    expect(server.requests[2]?.ips).toEqual(['8.8.8.8', '1.1.1.1', '9.9.9.9']);
    expect(await metricValue(h.metrics.cacheLookups, { result: 'hit' })).toBe(4);
    expect(await metricValue(h.metrics.cacheLookups, { result: 'miss' })).toBe(8);
    expect(await metricValue(h.metrics.cacheEntries)).toBe(3);
  });

  it('serves an expired answer marked stale while the provider is down, until stale_serve_secs have passed', async () => {
    const server = await faultServer({ table });
    const h = harness({ cache: { ttl_secs: 10, stale_serve_secs: 100 }, providers: [provider('ipgeolocation', server.url)] });
    await h.remote.resolve(pubs('8.8.8.8'));
    server.failAll({ kind: 'status', status: 502 });

    h.clock.advance(50_000);
    const stale = await h.remote.lookup(pubs('8.8.8.8'));
    expect(stale.get('8.8.8.8')).toMatchObject({ source: 'cache', stale: true, security: { is_vpn: true, threat_score: 30 } });
    expect(server.requests).toHaveLength(2);
    expect(await metricValue(h.metrics.cacheLookups, { result: 'stale' })).toBe(1);

    h.clock.advance(60_000);
    const gone = await h.remote.resolve(pubs('8.8.8.8'));
    expect(gone.get('8.8.8.8')).toEqual({ kind: 'unanswered', reason: 'error' });
  });

  it('makes one request per address for concurrent lookups of overlapping batches', async () => {
    const server = await faultServer({ table });
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.fail({ kind: 'hold', release: held });
    const h = harness({ providers: [provider('ipgeolocation', server.url, { single_ip_endpoint: false })] });

    const a = h.remote.lookup(pubs('8.8.8.8', '1.1.1.1'));
    const b = h.remote.lookup(pubs('1.1.1.1', '8.8.8.8', '4.4.4.4', '4.4.4.4'));
    const c = h.remote.lookup(pubs('8.8.8.8'));
    await server.waitForRequests(2);
    release();
    const [ra, rb, rc] = await Promise.all([a, b, c]);

    expect(server.askedCount('8.8.8.8')).toBe(1);
    expect(server.askedCount('1.1.1.1')).toBe(1);
    expect(server.askedCount('4.4.4.4')).toBe(1);
    expect(server.requests).toHaveLength(2);
    expect(ra.get('8.8.8.8')?.security.is_vpn).toBe(true);
    expect(rb.get('8.8.8.8')?.security.is_vpn).toBe(true);
    expect(rc.get('8.8.8.8')?.security.is_vpn).toBe(true);
    expect(rb.get('4.4.4.4')?.security.threat_score).toBe(0);
  });

  it('shares a failure with the callers that waited on it instead of asking again at once', async () => {
    const server = await faultServer({ table });
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.fail([{ kind: 'hold', release: held }, { kind: 'status', status: 500 }]);
    const h = harness({ providers: [provider('ipgeolocation', server.url)] });
    const a = h.remote.resolve(pubs('8.8.8.8'));
    const b = h.remote.resolve(pubs('8.8.8.8'));
    await server.waitForRequests(1);
    release();
    const [ra, rb] = await Promise.all([a, b]);

    expect(server.requests).toHaveLength(1);
    expect(ra.get('8.8.8.8')).toEqual({ kind: 'unanswered', reason: 'error' });
    expect(rb.get('8.8.8.8')).toEqual({ kind: 'unanswered', reason: 'error' });
  });

  it('stays within max_entries and max_bytes, counting evictions', async () => {
    const server = await faultServer({});
    let h = harness({ cache: { max_entries: 3 }, providers: [provider('ipgeolocation', server.url)] });
    await h.remote.resolve(pubs('1.0.0.1', '1.0.0.2', '1.0.0.3', '1.0.0.4', '1.0.0.5'));
    expect(h.remote.size).toBe(3);
    expect(await metricValue(h.metrics.cacheEvictions)).toBe(2);
    await h.remote.close();

    // A full record is ~540 bytes of JSON plus overhead: 2 KiB hold three.
    h = harness({ cache: { max_bytes: 2_048 }, providers: [provider('ipgeolocation', server.url)] });
    await h.remote.resolve(pubs('1.0.0.1', '1.0.0.2', '1.0.0.3', '1.0.0.4', '1.0.0.5'));
    expect(h.remote.size).toBeGreaterThan(0);
    expect(h.remote.size).toBeLessThan(5);
  });
});

describe('on_remote_failure: block', () => {
  it('waits for the provider to recover, then answers', async () => {
    const server = await faultServer({ table });
    server.failAll({ kind: 'status', status: 503 });
    const h = harness({ on_remote_failure: 'block', block_max_wait_ms: 10_000, block_retry_ms: 10, providers: [provider('ipgeolocation', server.url)] });
    const pending = h.remote.lookup(pubs('8.8.8.8'));
    await server.waitForRequests(3);
    server.heal();
    const answers = await pending;

    expect(answers.get('8.8.8.8')?.security.is_vpn).toBe(true);
  });

  it('rejects with REMOTE_UNAVAILABLE (canRetry) once block_max_wait_ms has passed', async () => {
    const server = await faultServer({ table });
    server.failAll({ kind: 'reset' });
    const h = harness({ on_remote_failure: 'block', block_max_wait_ms: 100, block_retry_ms: 20, providers: [provider('ipgeolocation', server.url)] });
    const error = await h.remote.lookup(pubs('8.8.8.8')).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(IpriskError);
    expect((error as IpriskError).code).toBe('REMOTE_UNAVAILABLE');
    expect((error as IpriskError).canRetry).toBe(true);
    expect(server.requests.length).toBeGreaterThanOrEqual(2);
  });

  it('serves a stale answer rather than blocking, and never blocks on the budget', async () => {
    const server = await faultServer({ table });
    const h = harness({
      on_remote_failure: 'block',
      block_max_wait_ms: 60_000,
      cache: { ttl_secs: 10 },
      providers: [provider('ipgeolocation', server.url, { budget_ips_per_minute: 1 })],
    });
    await h.remote.resolve(pubs('8.8.8.8'));
    h.clock.advance(30_000);
    server.failAll({ kind: 'status', status: 500 });
    const resolved = await h.remote.resolve(pubs('8.8.8.8', '1.1.1.1'));

    expect(resolved.get('8.8.8.8')).toMatchObject({ kind: 'answer', answer: { stale: true, source: 'cache' } });
    expect(resolved.get('1.1.1.1')).toEqual({ kind: 'unanswered', reason: 'budget' });
  });

  it('ends a blocked lookup when the remote is closed', async () => {
    const server = await faultServer({});
    server.failAll({ kind: 'status', status: 500 });
    const h = harness({ on_remote_failure: 'block', block_max_wait_ms: 600_000, block_retry_ms: 60_000, providers: [provider('ipgeolocation', server.url)] });
    const pending = h.remote.lookup(pubs('8.8.8.8')).catch((err: unknown) => err);
    await server.waitForRequests(1);
    await h.remote.close();
    const error = await pending;

    expect((error as IpriskError).code).toBe('REMOTE_UNAVAILABLE');
  });
});

describe('nothing is lost', () => {
  it('gives every asked address an answer, an unknown or an explicit reason, under mixed faults', async () => {
    const rows: Record<string, { threat_score: number; is_spam: boolean } | { message: string }> = {};
    const ips: string[] = [];
    for (let i = 1; i <= 60; i++) {
      const ip = `11.0.${i}.${i}`;
      ips.push(ip);
      rows[ip] = i % 7 === 0 ? { message: `'${ip}' is a bogon IP address.` } : { threat_score: i, is_spam: true };
    }
    const server = await faultServer({ table: rows });
    server.fail(
      { kind: 'partial', drop: ['11.0.2.2', '11.0.3.3'], extra: ['11.0.99.99'], reverse: true },
      { kind: 'reset' },
      { kind: 'status', status: 500 },
      { kind: 'malformed' },
      { kind: 'partial', drop: ['11.0.30.30'] },
    );
    const h = harness({
      cache: { max_entries: 10 },
      providers: [provider('ipgeolocation', server.url, { max_ips_per_request: 8, retries: 1, concurrency: 3, budget_ips_per_minute: 50 })],
    });
    const resolved = await h.remote.resolve(pubs(...ips));

    expect([...resolved.keys()].sort()).toEqual([...ips].sort());
    for (const ip of ips) {
      const r = resolved.get(ip)!;
      const row = rows[ip]!;
      if (r.kind === 'answer') expect(r.answer.security.threat_score).toBe((row as { threat_score: number }).threat_score);
      else if (r.kind === 'unknown') expect('message' in row).toBe(true);
      else expect(['error', 'budget']).toContain(r.reason);
    }
    expect([...resolved.values()].filter((r) => r.kind === 'unanswered' && r.reason === 'budget')).toHaveLength(10);
  });
});
