import { describe, expect, it } from 'vitest';
import { API_KEY, messageOf, raw, serveForSuite, startServe } from './harness.js';

const BULK_HEADERS = { 'Content-Type': 'application/json' };
const TWO = '{"ips":["2.56.188.34","2.56.188.35"]}';

// Every row of seed 001's error table that applies to a self-hosted server, each answered
// with its status and a {"message": ...} body.
describe("the seed's error table", () => {
  const api = serveForSuite({ config: { max_body_bytes: 64 * 1024, max_bulk_ips: 50_000 } });

  async function expectError(method: string, target: string, status: number, words: string | RegExp, options: Parameters<typeof raw>[3] = {}) {
    const res = await raw(api.port, method, target, options);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const message = messageOf(res.body);
    if (typeof words === 'string') expect(message).toContain(words);
    else expect(message).toMatch(words);
    return res;
  }

  describe('400 Bad Request', () => {
    it.each(['2.56.188.256', 'not-an-ip', '1.2.3', '2.56.188.34:443', 'fe80::1%25eth0', '1::2::3'])('for the invalid IP address %s', async (ip) => {
      await expectError('GET', `/v3/security?apiKey=${API_KEY}&ip=${ip}`, 400, 'is not a valid IP address.');
    });

    it.each(['(', ')', '[', ']', '{', '}', '|', '^', '`'])('for the special character %s in a parameter value, raw or percent-encoded', async (c) => {
      await expectError('GET', `/v3/security?apiKey=${API_KEY}&ip=2.56.188.34${c}`, 400, `'${c}'`);
      await expectError('GET', `/v3/security?apiKey=${API_KEY}&ip=${encodeURIComponent(`${c}2.56.188.34`)}`, 400, `'${c}'`);
    });

    it('for a special character in the API key, before the key is checked', async () => {
      await expectError('GET', `/v3/security?apiKey=${API_KEY}%7C&ip=2.56.188.34`, 400, "URL parameter 'apiKey' contains '|'");
    });

    it('for bracketed IPv6 such as ip=[::1]', async () => {
      await expectError('GET', `/v3/security?apiKey=${API_KEY}&ip=[2606:4700::1111]`, 400, "'['");
    });

    it('for a special character in a parameter name, on the bulk endpoint too', async () => {
      await expectError('POST', `/v3/security-bulk?apiKey=${API_KEY}&fields[]=x`, 400, 'name', { headers: BULK_HEADERS, body: TWO });
    });

    it('for an empty or missing bulk payload', async () => {
      await expectError('POST', `/v3/security-bulk?apiKey=${API_KEY}`, 400, 'The request body is empty', { headers: BULK_HEADERS });
      await expectError('POST', `/v3/security-bulk?apiKey=${API_KEY}`, 400, 'The request body is empty', { headers: BULK_HEADERS, body: '' });
    });

    it('for JSON without the ips field', async () => {
      await expectError('POST', `/v3/security-bulk?apiKey=${API_KEY}`, 400, 'no "ips" field', { headers: BULK_HEADERS, body: '{"ip":["2.56.188.34"]}' });
    });

    it('for an empty ips list', async () => {
      await expectError('POST', `/v3/security-bulk?apiKey=${API_KEY}`, 400, '"ips" is empty', { headers: BULK_HEADERS, body: '{"ips":[]}' });
    });

    it('for more than 50,000 IP addresses', async () => {
      const ips = Array.from({ length: 50_001 }, (_, i) => `1.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      const big = await startServe();
      try {
        const res = await raw(big.port, 'POST', `/v3/security-bulk?apiKey=${API_KEY}`, { headers: BULK_HEADERS, body: JSON.stringify({ ips }) });
        expect(res.status).toBe(400);
        expect(messageOf(res.body)).toBe('"ips" holds 50,001 entries: at most 50,000 IP addresses are allowed per request.');
      } finally {
        await big.close();
      }
    });

    it('for an output format other than json or xml', async () => {
      await expectError('GET', `/v3/security?apiKey=${API_KEY}&ip=2.56.188.34&output=csv`, 400, "output must be json or xml, got 'csv'");
    });
  });

  describe('401 Unauthorized', () => {
    it('when the apiKey parameter is missing', async () => {
      await expectError('GET', '/v3/security?ip=2.56.188.34', 401, 'apiKey URL parameter is missing');
      await expectError('GET', '/v3/security?apiKey=&ip=2.56.188.34', 401, 'apiKey URL parameter is missing');
      await expectError('POST', '/v3/security-bulk', 401, 'apiKey URL parameter is missing', { headers: BULK_HEADERS, body: TWO });
    });

    it('when the API key is a random value', async () => {
      await expectError('GET', '/v3/security?apiKey=0123456789abcdef&ip=2.56.188.34', 401, 'The provided API key is not valid.');
      await expectError('POST', '/v3/security-bulk?apiKey=API_KEY2', 401, 'not valid', { headers: BULK_HEADERS, body: TWO });
    });

    it('when a domain name is passed in the ip parameter', async () => {
      await expectError('GET', `/v3/security?apiKey=${API_KEY}&ip=ipgeolocation.io`, 401, "'ipgeolocation.io' is a domain name");
    });
  });

  describe('404 Not Found', () => {
    it('when the address is passed as a path variable instead of ip=', async () => {
      await expectError('GET', `/v3/security/2.56.188.34?apiKey=${API_KEY}`, 404, 'as a URL parameter');
      await expectError('GET', `/v3/security/ipgeolocation.io?apiKey=${API_KEY}`, 404, 'as a URL parameter');
    });

    it('when an endpoint that does not exist is called', async () => {
      await expectError('GET', `/v3/ipgeo?apiKey=${API_KEY}&ip=2.56.188.34`, 404, "No endpoint at '/v3/ipgeo'");
      await expectError('GET', '/', 404, 'Endpoints:');
      await expectError('POST', '/v3/security-bulk/', 404, 'No endpoint', { headers: BULK_HEADERS, body: TWO });
    });
  });

  describe('405 Method Not Allowed, with an Allow header', () => {
    it.each([
      ['POST', '/v3/security', 'GET'],
      ['PUT', '/v3/security', 'GET'],
      ['DELETE', '/v3/security', 'GET'],
      ['OPTIONS', '/v3/security', 'GET'],
      ['GET', '/v3/security-bulk', 'POST'],
      ['PATCH', '/v3/security-bulk', 'POST'],
      ['POST', '/healthz', 'GET, HEAD'],
    ])('%s %s', async (method, path, allow) => {
      const res = await expectError(method, `${path}?apiKey=${API_KEY}`, 405, `Method ${method} is not allowed`);
      expect(res.headers.allow).toBe(allow);
    });

    it('HEAD on the security endpoint, which only answers GET', async () => {
      const res = await raw(api.port, 'HEAD', `/v3/security?apiKey=${API_KEY}&ip=2.56.188.34`);
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET');
    });
  });

  describe('413 Content Too Large', () => {
    it('when Content-Length announces more than the limit', async () => {
      await expectError('POST', `/v3/security-bulk?apiKey=${API_KEY}`, 413, 'larger than the limit of 65536 bytes', {
        headers: BULK_HEADERS,
        body: Buffer.alloc(70 * 1024, 0x20),
      });
    });

    it('when a chunked body grows past the limit', async () => {
      const piece = Buffer.alloc(16 * 1024, 0x20);
      await expectError('POST', `/v3/security-bulk?apiKey=${API_KEY}`, 413, 'larger than the limit', {
        headers: { ...BULK_HEADERS, 'Transfer-Encoding': 'chunked' },
        body: [piece, piece, piece, piece, piece],
      });
    });
  });

  describe('415 Unsupported Media Type', () => {
    it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'multipart/form-data; boundary=x'])('for Content-Type %s', async (type) => {
      await expectError('POST', `/v3/security-bulk?apiKey=${API_KEY}`, 415, 'Content-Type must be application/json', {
        headers: { 'Content-Type': type },
        body: TWO,
      });
    });

    it('when Content-Type is missing', async () => {
      await expectError('POST', `/v3/security-bulk?apiKey=${API_KEY}`, 415, 'Content-Type header is missing', { body: TWO });
    });

    it('but accepts application/json with a charset, in any case', async () => {
      const res = await raw(api.port, 'POST', `/v3/security-bulk?apiKey=${API_KEY}`, { headers: { 'Content-Type': 'Application/JSON; charset=UTF-8' }, body: TWO });
      expect(res.status).toBe(200);
    });
  });

  describe('423 Locked', () => {
    it.each(['10.0.0.0', '192.168.1.10', '172.16.5.4', '127.0.0.1', '100.64.1.1', '169.254.1.1', '0.0.0.0', '::1', 'fc00::1', 'fe80::1', '::ffff:10.0.0.1'])(
      'for the bogon or private address %s',
      async (ip) => {
        await expectError('GET', `/v3/security?apiKey=${API_KEY}&ip=${ip}`, 423, `'${ip}' is a bogon IP address.`);
      },
    );
  });

  describe('never 5xx on bad input', () => {
    it.each([
      '/v3/security?apiKey=API_KEY&ip=%FF%FE',
      '/v3/security?apiKey=API_KEY&ip=%zz',
      '/v3/security?apiKey=API_KEY&fields=%00&ip=2.56.188.34',
      '/v3/security?apiKey=API_KEY&excludes=security&ip=2.56.188.34',
      '/v3/security?apiKey=API_KEY&ip=' + 'a'.repeat(8000),
      '/v3/security?apiKey=API_KEY&ip=2.56.188.34&ip=10.0.0.1',
      '/v3/security?apiKey=API_KEY&apiKey=wrong&ip=2.56.188.34',
      '/v3/security?' + '&'.repeat(3000),
      '//v3/security?apiKey=API_KEY',
      '/v3/%2e%2e/security?apiKey=API_KEY',
    ])('GET %s', async (target) => {
      const res = await raw(api.port, 'GET', target);
      expect(res.status).toBeLessThan(500);
      expect(() => JSON.parse(res.body) as unknown).not.toThrow();
    });
  });
});
