import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { serveForSuite } from './harness.js';

const BULKS = 8;
const KEYS = ['SINGLE', ...Array.from({ length: BULKS }, (_, i) => `BULK_${i}`)];

/** 50,000 addresses: sample-index hits, unknown public addresses and IPv6. */
function bulkBody(): string {
  const ips = Array.from({ length: 50_000 }, (_, i) => (i % 3 === 0 ? '2.56.188.34' : i % 3 === 1 ? `8.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` : `2606:4700::${(i % 65_536).toString(16)}`));
  return JSON.stringify({ ips });
}

/** One request; `sent` resolves once its body is handed to the socket, `done` when its answer is read. */
function send(port: number, method: string, path: string, body?: string): { sent: Promise<void>; done: Promise<number> } {
  let onSent: () => void = () => undefined;
  const sent = new Promise<void>((resolve) => (onSent = resolve));
  const done = new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers: body === undefined ? {} : { 'Content-Type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve(res.statusCode ?? 0);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('finish', onSent);
    req.end(body);
  });
  return { sent, done };
}

// Latency is measured by `npm run bench:serve`; this test asserts only the order of answers.
describe('bulk work and single lookups', () => {
  const api = serveForSuite({ keys: KEYS });

  it('answers a single lookup sent during 8 bulks of 50,000 before any of the bulks', async () => {
    const body = bulkBody();
    const finished: string[] = [];
    const bulks = Array.from({ length: BULKS }, (_, i) => {
      const r = send(api.port, 'POST', `/v3/security-bulk?apiKey=BULK_${i}`, body);
      return { ...r, done: r.done.then((status) => (finished.push(`bulk ${i}`), status)) };
    });
    await Promise.all(bulks.map((b) => b.sent));
    const single = send(api.port, 'GET', '/v3/security?apiKey=SINGLE&ip=2.56.188.34');
    const singleStatus = await single.done.then((status) => (finished.push('single'), status));
    const bulkStatuses = await Promise.all(bulks.map((b) => b.done));
    expect(singleStatus).toBe(200);
    expect(bulkStatuses).toEqual(Array.from({ length: BULKS }, () => 200));
    expect(finished[0]).toBe('single');
    expect(finished).toHaveLength(BULKS + 1);
  }, 60_000);
});
