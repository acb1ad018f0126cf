import { describe, expect, it } from 'vitest';
import ipaddr from 'ipaddr.js';
import { formatNetwork, lastOf, NetworkSet, parseNetwork, parseNetworks } from '../../../src/ip/network.js';
import { parseIPv4, parseIPv6 } from '../../../src/ip/address.js';
import { IpriskError } from '../../../src/errors.js';

describe('networks as feeds write them', () => {
  it('parses IPv4 and IPv6 CIDRs and single addresses', () => {
    expect(formatNetwork(parseNetwork('1.0.0.0/24'))).toBe('1.0.0.0/24');
    expect(formatNetwork(parseNetwork('2.56.188.34'))).toBe('2.56.188.34/32');
    expect(formatNetwork(parseNetwork('2a06:98c0::/29'))).toBe('2a06:98c0::/29');
    expect(formatNetwork(parseNetwork('2001:DB8::1'))).toBe('2001:db8::1/128');
  });

  it('clears host bits below the prefix', () => {
    expect(formatNetwork(parseNetwork('1.2.3.4/24'))).toBe('1.2.3.0/24');
    expect(formatNetwork(parseNetwork('2001:db8::ff/64'))).toBe('2001:db8::/64');
  });

  it('reads IPv4-mapped IPv6 networks as IPv4 (MaxMind source data writes ::a.b.c.d/n)', () => {
    expect(formatNetwork(parseNetwork('::ffff:1.2.0.0/112'))).toBe('1.2.0.0/16');
  });

  it('splits a start-end range into the CIDRs ipaddr.js would list', () => {
    const nets = parseNetworks('1.0.0.3 - 1.0.1.4').map(formatNetwork);
    expect(nets).toEqual(['1.0.0.3/32', '1.0.0.4/30', '1.0.0.8/29', '1.0.0.16/28', '1.0.0.32/27', '1.0.0.64/26',
      '1.0.0.128/25', '1.0.1.0/30', '1.0.1.4/32']);
    // Independent check: every listed CIDR is valid for ipaddr.js and they tile the range exactly.
    let expectedNext = parseIPv4('1.0.0.3');
    for (const text of nets) {
      const [addr, len] = ipaddr.parseCIDR(text);
      expect(parseIPv4(addr.toString())).toBe(expectedNext);
      expectedNext += 2 ** (32 - len);
    }
    expect(expectedNext - 1).toBe(parseIPv4('1.0.1.4'));
  });

  it('splits IPv6 ranges too', () => {
    expect(parseNetworks('2001:db8::-2001:db8::ff').map(formatNetwork)).toEqual(['2001:db8::/120']);
  });

  it('computes the last address of a network', () => {
    expect(lastOf(parseNetwork('0.0.0.0/0'))).toBe(0xffffffff);
    expect(lastOf(parseNetwork('::/0'))).toBe((1n << 128n) - 1n);
  });

  it.each(['1.2.3.4/33', '2001:db8::/129', 'nope', '1.2.3.4/x', '1.2.3.9 - 1.2.3.1', '1.2.3.4-2001:db8::1', '1.2.3.4/'])(
    'rejects %j naming the text',
    (text) => {
      expect(() => parseNetworks(text)).toThrow(IpriskError);
      expect(() => parseNetworks(text)).toThrow(text.trim());
    },
  );
});

describe('a set of trusted networks', () => {
  it('answers membership for both families', () => {
    const set = new NetworkSet(['10.0.0.0/8', '2001:db8::/32', '203.0.113.7']);
    expect(set.hasV4(parseIPv4('10.200.1.1'))).toBe(true);
    expect(set.hasV4(parseIPv4('11.0.0.0'))).toBe(false);
    expect(set.hasV4(parseIPv4('203.0.113.7'))).toBe(true);
    expect(set.hasV6(parseIPv6('2001:db8:1::5')!)).toBe(true);
    expect(set.hasV6(parseIPv6('2001:db9::')!)).toBe(false);
  });
});
