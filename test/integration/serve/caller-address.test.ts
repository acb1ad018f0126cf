import { afterEach, describe, expect, it } from 'vitest';
import type { Running } from './harness.js';
import { API_KEY, messageOf, raw, startServe } from './harness.js';

/** GET /v3/security without `ip`, from this process (127.0.0.1), with an X-Forwarded-For header. */
async function forwarded(api: Running, xff?: string): Promise<{ status: number; body: string }> {
  return raw(api.port, 'GET', `/v3/security?apiKey=${API_KEY}&fields=security.threat_score`, {
    headers: xff === undefined ? {} : { 'X-Forwarded-For': xff },
  });
}

describe('the caller address of GET /v3/security without ip', () => {
  let api: Running | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('is the X-Forwarded-For client when the request comes from a trusted proxy', async () => {
    api = await startServe({ config: { trusted_proxies: ['127.0.0.1/32'] } });
    const res = await forwarded(api, '2.56.188.34');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ip: '2.56.188.34', security: { threat_score: expect.any(Number) as number } });
  });

  it('is the right-most hop outside the trusted proxies, so a client cannot choose it by prepending', async () => {
    api = await startServe({ config: { trusted_proxies: ['127.0.0.1/32', '192.0.2.0/24'] } });
    const res = await forwarded(api, '2.56.188.35, 2.56.188.34, 192.0.2.7');
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { ip: string }).ip).toBe('2.56.188.34');
  });

  it('ignores X-Forwarded-For without trusted proxies: the caller 127.0.0.1 is private, 423', async () => {
    api = await startServe();
    const res = await forwarded(api, '2.56.188.34');
    expect(res.status).toBe(423);
    expect(messageOf(res.body)).toContain("'127.0.0.1' is a bogon IP address.");
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    api = await startServe({ config: { trusted_proxies: ['192.0.2.0/24'] } });
    const res = await forwarded(api, '2.56.188.34');
    expect(res.status).toBe(423);
    expect(messageOf(res.body)).toContain('127.0.0.1');
  });

  it('is the trusted proxy itself when the header is missing, and 400 for a hop that is no address', async () => {
    api = await startServe({ config: { trusted_proxies: ['127.0.0.1/32'] } });
    expect((await forwarded(api)).status).toBe(423);
    const bad = await forwarded(api, 'not-an-address');
    expect(bad.status).toBe(400);
    expect(messageOf(bad.body)).toContain('X-Forwarded-For');
  });

  it('answers the ip parameter when given, whatever the header says', async () => {
    api = await startServe({ config: { trusted_proxies: ['127.0.0.1/32'] } });
    const res = await raw(api.port, 'GET', `/v3/security?apiKey=${API_KEY}&ip=2.56.188.35&fields=ip`, { headers: { 'X-Forwarded-For': '2.56.188.34' } });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { ip: string }).ip).toBe('2.56.188.35');
  });
});
