import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { API_KEY, canonical, messageOf, raw, serveForSuite } from './harness.js';
import { SEED_34, SEED_35 } from '../../helpers/seed-answers.js';

const BULK = `/v3/security-bulk?apiKey=${API_KEY}`;
const JSON_HEADERS = { 'Content-Type': 'application/json' };

/**
 * Bytes written to a bare TCP socket, and everything the server sends back until it closes
 * (each use ends with a request the server closes after). The client never half-closes: Node
 * drops pipelined requests of a client that did.
 */
function rawSocket(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(bytes);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.on('error', reject);
  });
}

describe('hostile bulk bodies', () => {
  const api = serveForSuite();

  it('refuses a body that is not valid UTF-8', async () => {
    const body = Buffer.concat([Buffer.from('{"ips":["2.56.188.34","'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"]}')]);
    const res = await raw(api.port, 'POST', BULK, { headers: JSON_HEADERS, body });
    expect(res.status).toBe(400);
    expect(messageOf(res.body)).toContain('not valid UTF-8');
  });

  it('refuses deeply nested JSON without parsing it', async () => {
    const depth = 1_000_000;
    const res = await raw(api.port, 'POST', BULK, { headers: JSON_HEADERS, body: `{"ips":${'['.repeat(depth)}${']'.repeat(depth)}}` });
    expect(res.status).toBe(400);
    expect(messageOf(res.body)).toContain('levels deep');
  });

  it('refuses a 10 MB body with 413', async () => {
    const res = await raw(api.port, 'POST', BULK, { headers: JSON_HEADERS, body: Buffer.alloc(10 * 1024 * 1024, 0x20) });
    expect(res.status).toBe(413);
    expect(messageOf(res.body)).toBe('The request body (10485760 bytes) is larger than the limit of 3145728 bytes.');
  });

  it('keeps answering on the same connection after a 413', async () => {
    const second = `GET /v3/security?apiKey=${API_KEY}&ip=2.56.188.35 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
    const first = `POST ${BULK} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000000\r\n\r\n${' '.repeat(4_000_000)}`;
    const reply = await rawSocket(api.port, first + second);
    const statuses = [...reply.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    expect(statuses).toEqual(['413', '200']);
    expect(reply).toContain('"ip":"2.56.188.35"');
  });

  it('answers numbers, objects, arrays, null, booleans and very long strings in place as malformed', async () => {
    const long = '1'.repeat(1_000_000);
    const res = await raw(api.port, 'POST', BULK, {
      headers: JSON_HEADERS,
      body: JSON.stringify({ ips: [42, { ip: '2.56.188.34' }, ['2.56.188.34'], null, true, long, '2.56.188.34', ''] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-successful-record']).toBe('1');
    expect(res.headers['x-credits-charged']).toBe('2');
    const answers = JSON.parse(res.body) as { message?: string }[];
    expect(answers).toHaveLength(8);
    expect(answers[0]).toEqual({ message: "'42' is not a valid IP address: expected a string." });
    expect(answers[1]).toEqual({ message: 'An entry of "ips" is an object, not an IP address string.' });
    expect(answers[2]).toEqual({ message: 'An entry of "ips" is an array, not an IP address string.' });
    expect(answers[3]).toEqual({ message: "'null' is not a valid IP address: expected a string." });
    expect(answers[4]).toEqual({ message: "'true' is not a valid IP address: expected a string." });
    expect(answers[5]!.message).toMatch(/^'1{100}…' is not a valid IP address\.$/);
    expect(answers[6]).toEqual(SEED_34);
    expect(answers[7]).toEqual({ message: "'' is not a valid IP address." });
  });

  it('uses the last of duplicate ips keys, as JSON.parse does', async () => {
    const res = await raw(api.port, 'POST', BULK, { headers: JSON_HEADERS, body: '{"ips":["10.0.0.1"],"ips":["2.56.188.35"]}' });
    expect(res.status).toBe(200);
    expect(canonical(res.body)).toBe(JSON.stringify([SEED_35]));
  });

  it('reads a chunked body without Content-Length', async () => {
    const res = await raw(api.port, 'POST', BULK, {
      headers: { ...JSON_HEADERS, 'Transfer-Encoding': 'chunked' },
      body: ['{"ips":["2.56.', '188.34","2.56.188.35"', ']}'],
    });
    expect(res.status).toBe(200);
    expect(canonical(res.body)).toBe(JSON.stringify([SEED_34, SEED_35]));
  });

  it('accepts a UTF-8 byte order mark and surrounding whitespace', async () => {
    const res = await raw(api.port, 'POST', BULK, { headers: JSON_HEADERS, body: '\uFEFF \n{"ips":["2.56.188.35"]}\n' });
    expect(res.status).toBe(200);
    expect(canonical(res.body)).toBe(JSON.stringify([SEED_35]));
  });

  it('answers malformed HTTP framing with a JSON 400 and closes', async () => {
    const reply = await rawSocket(api.port, 'POST /v3/security-bulk HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(reply).toContain('{"message":"Malformed HTTP request');
  });

  it('answers oversized headers with a JSON 431', async () => {
    const reply = await rawSocket(api.port, `GET /v3/security?apiKey=${API_KEY} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 431 /);
    expect(reply).toContain('"message"');
  });
});
