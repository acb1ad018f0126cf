import { request } from 'node:http';
import type { ClientRequest } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Running } from './harness.js';
import { messageOf, raw, startServe } from './harness.js';

/**
 * A bulk request whose body is still being sent: in flight for as long as the test keeps it
 * open. `Expect: 100-continue` makes the server answer 100 once it has dispatched the request
 * (and so counted it), which is when `dispatched` resolves.
 */
function heldBulk(port: number, key: string): { req: ClientRequest; dispatched: Promise<void>; answer: Promise<number> } {
  let onContinue: () => void = () => undefined;
  const dispatched = new Promise<void>((resolve) => (onContinue = resolve));
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: `/v3/security-bulk?apiKey=${key}`,
    headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', Expect: '100-continue' },
    agent: false,
  });
  const answer = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        resolve(res.statusCode ?? 0);
      });
    });
    req.on('error', reject);
  });
  req.on('continue', () => {
    req.write('{"ips": ["2.56.188.34"');
    onContinue();
  });
  req.flushHeaders();
  return { req, dispatched, answer };
}

describe('per-key concurrency limits', () => {
  let api: Running;
  beforeEach(async () => {
    api = await startServe({ keys: ['KEY_A', 'KEY_B'], config: { max_in_flight_requests_per_key: 2 } });
  });
  afterEach(async () => {
    await api.close();
  });

  it('answers 429 with Retry-After beyond a key requests in flight, while other keys are served', async () => {
    const first = heldBulk(api.port, 'KEY_A');
    const second = heldBulk(api.port, 'KEY_A');
    await Promise.all([first.dispatched, second.dispatched]);

    const limited = await raw(api.port, 'GET', '/v3/security?apiKey=KEY_A&ip=2.56.188.34');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(messageOf(limited.body)).toContain('2 at once per API key');

    const other = await raw(api.port, 'GET', '/v3/security?apiKey=KEY_B&ip=2.56.188.34');
    expect(other.status).toBe(200);
    expect((JSON.parse(other.body) as { ip: string }).ip).toBe('2.56.188.34');

    // One held request finishes: its key has room again.
    first.req.end(']}');
    expect(await first.answer).toBe(200);
    expect((await raw(api.port, 'GET', '/v3/security?apiKey=KEY_A&ip=2.56.188.34')).status).toBe(200);
    second.req.end(']}');
    expect(await second.answer).toBe(200);
  });

  it('frees the slot of a client that leaves mid-request', async () => {
    const first = heldBulk(api.port, 'KEY_A');
    const second = heldBulk(api.port, 'KEY_A');
    await Promise.all([first.dispatched, second.dispatched]);
    expect((await raw(api.port, 'GET', '/v3/security?apiKey=KEY_A&ip=2.56.188.34')).status).toBe(429);
    first.req.on('error', () => undefined);
    first.answer.catch(() => undefined);
    const closed = new Promise((resolve) => first.req.socket?.once('close', resolve));
    first.req.destroy();
    await closed;
    // The server sees the reset on its next poll; ask until it has (bounded by the test timeout).
    let status = 429;
    while (status === 429) status = (await raw(api.port, 'GET', '/v3/security?apiKey=KEY_A&ip=2.56.188.34')).status;
    expect(status).toBe(200);
    second.req.end(']}');
    expect(await second.answer).toBe(200);
  });
});
