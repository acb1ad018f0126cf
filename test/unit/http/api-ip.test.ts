import { describe, expect, it } from 'vitest';
import { classifyApiIp, entryMessage, nonStringMessage, quoted } from '../../../src/http/api-ip.js';

describe('classifyApiIp', () => {
  it('reads bare IPv4 and IPv6 addresses as public, echoing the trimmed text', () => {
    expect(classifyApiIp(' 2.56.188.34 ')).toEqual({ kind: 'public', given: '2.56.188.34', address: { family: 4, v4: 0x0238bc22 } });
    const v6 = classifyApiIp('2606:4700::1111');
    expect(v6.kind).toBe('public');
    expect(v6.given).toBe('2606:4700::1111');
  });

  it('looks IPv4-mapped IPv6 up as its IPv4 address', () => {
    expect(classifyApiIp('::ffff:2.56.188.34')).toEqual({ kind: 'public', given: '::ffff:2.56.188.34', address: { family: 4, v4: 0x0238bc22 } });
    expect(classifyApiIp('::ffff:10.1.2.3').kind).toBe('bogon');
  });

  it.each(['10.0.0.0', '127.0.0.1', '192.168.1.1', '100.64.0.1', '192.0.2.1', '::1', 'fc00::1', 'fe80::1', '2001:db8::1', '::'])(
    'answers %s as a bogon',
    (ip) => {
      expect(classifyApiIp(ip).kind).toBe('bogon');
    },
  );

  it.each(['example.com', 'api.ipgeolocation.io', 'xn--bcher-kva.example'])('recognises %s as a domain name', (text) => {
    expect(classifyApiIp(text).kind).toBe('domain');
  });

  it.each(['', 'abc', '1.2.3', '1.2.3.256', '01.2.3.4', '1.2.3.4:80', '[2606:4700::1]', 'fe80::1%eth0', '2.56.188', '-', 'localhost', '1::2::3', 'x'.repeat(500)])(
    'reads %j as malformed: the API takes bare addresses only',
    (text) => {
      expect(classifyApiIp(text).kind).toBe('malformed');
    },
  );
});

describe('bulk entry messages', () => {
  it("uses the seed's wording for bogons", () => {
    expect(entryMessage({ kind: 'bogon', given: '10.0.0.0' })).toBe("'10.0.0.0' is a bogon IP address.");
  });

  it('names malformed text and cuts very long text', () => {
    expect(entryMessage({ kind: 'malformed', given: 'nope' })).toBe("'nope' is not a valid IP address.");
    const long = entryMessage({ kind: 'malformed', given: 'y'.repeat(10_000) });
    expect(long.length).toBeLessThan(200);
    expect(long).toContain('…');
    expect(quoted('short')).toBe('short');
  });

  it('names entries that are not strings without serialising nested values', () => {
    expect(nonStringMessage(42)).toBe("'42' is not a valid IP address: expected a string.");
    expect(nonStringMessage(null)).toBe("'null' is not a valid IP address: expected a string.");
    expect(nonStringMessage({ ip: '1.1.1.1' })).toBe('An entry of "ips" is an object, not an IP address string.');
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nonStringMessage(deep)).toBe('An entry of "ips" is an array, not an IP address string.');
  });
});
