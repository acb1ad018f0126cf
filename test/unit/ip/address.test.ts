import { describe, expect, it } from 'vitest';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { formatIPv6, parseIPv4, parseIPv6, wordsToBigInt, bigIntToWords } from '../../../src/ip/address.js';

function wordsFromIpaddr(text: string): number[] {
  const parts = ipaddr.IPv6.parse(text).parts;
  return [0, 1, 2, 3].map((k) => (parts[2 * k]! * 65536 + parts[2 * k + 1]!) >>> 0);
}

describe('IPv4 text', () => {
  it('parses dotted quads to their uint32 value', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('2.56.188.34')).toBe(((2 << 24) | (56 << 16) | (188 << 8) | 34) >>> 0);
  });

  it('rejects leading zeros instead of reading them as octal', () => {
    expect(parseIPv4('010.1.1.1')).toBe(-1);
    expect(parseIPv4('1.2.3.04')).toBe(-1);
    expect(parseIPv4('1.2.3.0')).toBeGreaterThan(0);
  });

  it('agrees with node:net on valid and invalid forms', () => {
    const cases = ['1.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.4.', '.1.2.3', '', 'a.b.c.d',
      '1.2.3.-1', '1.2.3.4 ', ' 1.2.3.4', '0x1.2.3.4', '1e2.1.1.1', '99.99.99.99', '1.2.3.1000', '00.0.0.0'];
    for (const text of cases) {
      expect(parseIPv4(text) >= 0, text).toBe(net.isIPv4(text));
    }
  });
});

describe('IPv6 text', () => {
  const valid = [
    '::', '::1', '2001:db8::1', '2001:DB8:0:0:0:0:0:1', 'fe80::1:2:3:4', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::',
    '::2:3:4:5:6:7:8', '::ffff:1.2.3.4', '64:ff9b::203.0.113.5', '2001:0db8:0000:0000:0000:ff00:0042:8329', 'ABCD:EF01::',
  ];
  const invalid = [
    ':', ':::', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7', '::ffff:1.2.3', '::ffff:01.2.3.4',
    '1:2:3:4:5:6:7:8::', ':1::', '1::2:', '::1.2.3.4:5', '',
  ];

  it('parses every RFC 4291 form into the same words as ipaddr.js', () => {
    for (const text of valid) {
      expect(parseIPv6(text), text).toEqual(wordsFromIpaddr(text));
    }
  });

  it('rejects malformed text that node:net rejects', () => {
    for (const text of invalid) {
      expect(net.isIPv6(text), `node:net accepts ${text}`).toBe(false);
      expect(parseIPv6(text), text).toBeNull();
    }
  });

  it('formats as RFC 5952 canonical text, like ipaddr.js toRFC5952String', () => {
    for (const text of [...valid, '1:0:0:1:0:0:0:1', '1:0:0:2:0:0:3:4', '0:0:1:0:0:0:0:0', '2001:db8:0:1:1:1:1:1']) {
      expect(formatIPv6(parseIPv6(text)!), text).toBe(ipaddr.IPv6.parse(text).toRFC5952String());
    }
  });

  it('round-trips words through bigint', () => {
    const words = parseIPv6('2001:db8:ffff:1::fffe')!;
    expect(bigIntToWords(wordsToBigInt(words))).toEqual(words);
  });
});
