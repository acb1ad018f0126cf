import { describe, expect, it } from 'vitest';
import { parseClientIp } from '../../../src/ip/client-ip.js';

describe('reading the IP of a log line', () => {
  it.each([
    ['2.56.188.34', '2.56.188.34', 4],
    ['  2.56.188.34\t', '2.56.188.34', 4],
    ['2.56.188.34:51234', '2.56.188.34', 4],
    ['2606:4700:4700::1111', '2606:4700:4700::1111', 6],
    ['2606:4700:4700:0:0:0:0:1111', '2606:4700:4700::1111', 6],
    ['2606:4700:4700::1111'.toUpperCase(), '2606:4700:4700::1111', 6],
    ['[2606:4700:4700::1111]:443', '2606:4700:4700::1111', 6],
    ['[2606:4700:4700::1111]', '2606:4700:4700::1111', 6],
    ['::ffff:2.56.188.34', '2.56.188.34', 4],
    ['::FFFF:2.56.188.34', '2.56.188.34', 4],
    ['::ffff:0238:bc22', '2.56.188.34', 4],
    ['[::ffff:2.56.188.34]:8080', '2.56.188.34', 4],
    ['64:ff9b::2.56.188.34', '2.56.188.34', 4],
    ['2002:0238:bc22::1', '2.56.188.34', 4],
  ])('reads %j as the public address %s (IPv%i)', (raw, ip, family) => {
    const parsed = parseClientIp(raw);
    expect(parsed.kind).toBe('public');
    expect(parsed.ip).toBe(ip);
    if (parsed.kind === 'public') expect(parsed.family).toBe(family);
  });

  it.each([
    ['10.0.0.1', 'private-use'],
    ['192.168.1.20:443', 'private-use'],
    ['172.31.255.255', 'private-use'],
    ['127.0.0.1', 'loopback'],
    ['100.64.0.1', 'shared address space (CGNAT)'],
    ['169.254.169.254', 'link-local'],
    ['192.0.2.1', 'documentation (TEST-NET-1)'],
    ['198.51.100.7', 'documentation (TEST-NET-2)'],
    ['203.0.113.9', 'documentation (TEST-NET-3)'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['0.1.2.3', 'this network'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1%eth0', 'link-local'],
    ['[fe80::1%25en0]:22', 'link-local'],
    ['fd12:3456:789a::1', 'unique local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2001:2::1', 'IETF protocol assignments'],
    ['::ffff:10.1.2.3', 'private-use'],
    ['64:ff9b::192.168.0.1', 'private-use'],
    ['2002:c0a8:0101::1', 'private-use'],
    ['100::1', 'reserved (outside global unicast 2000::/3)'],
  ])('answers %j as a bogon (%s) without looking it up', (raw, range) => {
    const parsed = parseClientIp(raw);
    expect(parsed.kind).toBe('bogon');
    if (parsed.kind === 'bogon') expect(parsed.range).toBe(range);
  });

  it('keeps the globally reachable exceptions inside special ranges public', () => {
    for (const ip of ['192.0.0.9', '192.0.0.10', '2001:4:112::1', '2001::1', '192.31.196.1', '192.175.48.1']) {
      expect(parseClientIp(ip).kind, ip).toBe('public');
    }
  });

  it.each(['', '-', 'unknown', 'UNKNOWN', '  ', 'null'])('treats the placeholder %j as a missing address', (raw) => {
    expect(parseClientIp(raw)).toMatchObject({ kind: 'invalid', reason: 'missing' });
  });

  it.each([
    '010.1.1.1', '1.2.3', '1.2.3.4.5', '999.1.1.1', 'example.com', '1.2.3.4:99999', '1.2.3.4:', '[2001:db8::1',
    '[2001:db8::1]x', '2001:db8::1::2', 'fe80::1%', '1.2.3.4/32', '2.56.188.34,1.1.1.1',
  ])('rejects %j as malformed', (raw) => {
    expect(parseClientIp(raw)).toMatchObject({ kind: 'invalid', reason: 'malformed' });
  });
});
