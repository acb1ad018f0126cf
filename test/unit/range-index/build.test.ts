import { describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6, wordsToBigInt } from '../../../src/ip/address.js';
import { buildIndex } from '../../../src/range-index/build.js';
import { CompiledRangeIndex } from '../../../src/range-index/range-index.js';
import { DEFAULT_SCORE_WEIGHTS } from '../../../src/security/score.js';
import type { LoadedSource } from '../../../src/feeds/types.js';
import type { BuildOptions } from '../../../src/range-index/build.js';
import { find, match, source } from './sources.js';

function compile(sources: LoadedSource[], options: BuildOptions = {}): CompiledRangeIndex {
  return new CompiledRangeIndex(buildIndex(sources, options));
}

const vpn = { is_vpn: true };
const tor = { is_tor: true };
const proxy = { is_proxy: true };
const bot = { is_bot: true };
const attacker = { is_known_attacker: true };

describe('most specific match', () => {
  it('answers an address from the most specific network of a source, overriding a wider row of the same source', () => {
    const index = compile([source('a', [['1.0.0.0/8', { is_vpn: true, vpn_provider_names: ['Wide'] }], ['1.2.3.0/24', { is_proxy: true, proxy_provider_names: ['Narrow'] }]])]);
    const inner = match(index, '1.2.3.4');
    expect(inner?.network).toBe('1.2.3.0/24');
    expect(inner?.entry.security.is_proxy).toBe(true);
    expect(inner?.entry.security.is_vpn).toBe(false);
    expect(inner?.entry.security.vpn_provider_names).toEqual([]);
    expect(inner?.entry.security.proxy_provider_names).toEqual(['Narrow']);
    const outer = match(index, '1.9.9.9');
    expect(outer?.network).toBe('1.0.0.0/8');
    expect(outer?.entry.security.is_vpn).toBe(true);
    expect(outer?.entry.security.is_proxy).toBe(false);
  });

  it('merges a wide network of one source with a narrow network of another and names the narrow one as the match', () => {
    const index = compile([source('a', [['1.0.0.0/8', vpn]]), source('b', [['1.2.3.0/24', tor]])]);
    const inner = match(index, '1.2.3.200');
    expect(inner?.network).toBe('1.2.3.0/24');
    expect(inner?.entry.security.is_vpn).toBe(true);
    expect(inner?.entry.security.is_tor).toBe(true);
    expect(inner?.entry.sources).toEqual(['a', 'b']);
    expect(match(index, '1.2.4.0')?.entry.sources).toEqual(['a']);
    expect(match(index, '1.2.2.255')?.entry.security.is_tor).toBe(false);
  });

  it('merges the signals of an identical network repeated inside one source', () => {
    const index = compile([
      source('azure', [
        ['4.4.4.0/24', { is_vpn: true, vpn_provider_names: ['V1'] }],
        ['4.4.4.0/24', { is_vpn: true, vpn_provider_names: ['V2'] }],
      ]),
    ]);
    expect(find(index, '4.4.4.4')?.security.vpn_provider_names).toEqual(['V1', 'V2']);
  });

  it('leaves addresses between listed networks unanswered', () => {
    const index = compile([source('a', [['8.8.8.0/24', bot], ['8.8.10.0/24', bot]])]);
    expect(find(index, '8.8.9.0')).toBeUndefined();
    expect(find(index, '8.8.9.255')).toBeUndefined();
    expect(find(index, '8.8.8.255')?.security.is_bot).toBe(true);
    expect(find(index, '8.8.10.0')?.security.is_bot).toBe(true);
    expect(find(index, '8.8.7.255')).toBeUndefined();
    expect(find(index, '8.8.11.0')).toBeUndefined();
  });

  it('clears host bits of a network a reader built by hand', () => {
    const handMade: LoadedSource = {
      ...source('mmdb', []),
      entries: [
        { network: { family: 4, first: parseIPv4('1.2.3.4'), prefix: 24 }, signals: tor },
        { network: { family: 6, first: wordsToBigInt(parseIPv6('2a00::1:2')!), prefix: 112 }, signals: tor },
      ],
    };
    const index = compile([handMade]);
    expect(match(index, '1.2.3.0')?.network).toBe('1.2.3.0/24');
    expect(find(index, '1.2.3.255')?.security.is_tor).toBe(true);
    expect(find(index, '1.2.4.0')).toBeUndefined();
    expect(match(index, '2a00::1:0')?.network).toBe('2a00::1:0/112');
    expect(find(index, '2a00::2:0')).toBeUndefined();
  });

  it('reads a start-end range split into CIDRs as the whole range', () => {
    const index = compile([source('a', [['9.0.0.5 - 9.0.1.2', tor]])]);
    expect(find(index, '9.0.0.4')).toBeUndefined();
    expect(find(index, '9.0.0.5')?.security.is_tor).toBe(true);
    expect(find(index, '9.0.0.255')?.security.is_tor).toBe(true);
    expect(find(index, '9.0.1.2')?.security.is_tor).toBe(true);
    expect(find(index, '9.0.1.3')).toBeUndefined();
    expect(match(index, '9.0.0.5')?.network).toBe('9.0.0.5/32');
    expect(match(index, '9.0.0.200')?.network).toBe('9.0.0.128/25');
  });
});

describe('merging across sources', () => {
  const a = source('a', [
    [
      '5.5.5.0/24',
      {
        is_proxy: true,
        proxy_provider_names: ['P1'],
        proxy_confidence_score: 60,
        proxy_last_seen: '2024-01-01',
        is_cloud_provider: true,
        cloud_provider_name: 'CloudA',
      },
    ],
  ]);
  const b = source('b', [
    [
      '5.5.5.128/25',
      {
        is_proxy: true,
        proxy_provider_names: ['P2', 'P1'],
        proxy_confidence_score: 90,
        proxy_last_seen: '2024-03-01',
        is_cloud_provider: true,
        cloud_provider_name: 'CloudB',
      },
    ],
  ]);
  const index = compile([a, b]);

  it('ORs flags, unions provider names most specific first, and takes the highest confidence and last seen', () => {
    const security = find(index, '5.5.5.200')?.security;
    expect(security?.is_proxy).toBe(true);
    expect(security?.is_anonymous).toBe(true);
    expect(security?.proxy_provider_names).toEqual(['P2', 'P1']);
    expect(security?.proxy_confidence_score).toBe(90);
    expect(security?.proxy_last_seen).toBe('2024-03-01');
  });

  it('takes single provider names from the most specific source', () => {
    expect(find(index, '5.5.5.200')?.security.cloud_provider_name).toBe('CloudB');
    expect(find(index, '5.5.5.1')?.security.cloud_provider_name).toBe('CloudA');
  });

  it('takes single provider names from the source first in config order when networks are identical', () => {
    const same = compile([
      source('first', [['6.6.6.0/24', { is_cloud_provider: true, cloud_provider_name: 'First' }]]),
      source('second', [['6.6.6.0/24', { is_cloud_provider: true, cloud_provider_name: 'Second' }]]),
    ]);
    const entry = find(same, '6.6.6.6');
    expect(entry?.security.cloud_provider_name).toBe('First');
    expect(entry?.sources).toEqual(['first', 'second']);
  });

  it('recomputes the score with the model when no source supplied one', () => {
    // Default weights: proxy 30 scaled by min(1, confidence / 80), cloud 5.
    expect(find(index, '5.5.5.200')?.security.threat_score).toBe(30 + 5);
    expect(find(index, '5.5.5.1')?.security.threat_score).toBe(Math.round(30 * (60 / 80) + 5));
  });

  it('keeps a supplied score, raising it only when a flag-only source adds a stronger signal', () => {
    const scored = compile([
      source('geo', [
        ['7.7.7.0/24', { threat_score: 90, is_vpn: true }],
        ['7.7.8.0/24', { threat_score: 10, is_vpn: true }],
        ['7.7.9.0/24', { threat_score: 12, is_vpn: true }],
      ]),
      source('tor', [['7.7.7.0/24', tor], ['7.7.8.0/24', tor]]),
    ]);
    expect(find(scored, '7.7.7.7')?.security.threat_score).toBe(90);
    expect(find(scored, '7.7.8.8')?.security.threat_score).toBe(DEFAULT_SCORE_WEIGHTS.tor);
    expect(find(scored, '7.7.9.9')?.security.threat_score).toBe(12);
  });

  it('scores with the weights it is given', () => {
    const weighted = compile([source('tor', [['7.7.7.0/24', tor]])], { weights: { ...DEFAULT_SCORE_WEIGHTS, tor: 55 } });
    expect(find(weighted, '7.7.7.7')?.security.threat_score).toBe(55);
  });
});

describe('bogon clipping', () => {
  const firehol = source('firehol', [
    ['0.0.0.0/0', attacker],
    ['10.0.0.0/8', attacker],
    ['224.0.0.0/3', attacker],
  ]);

  it('never answers private, special or multicast addresses even when a feed lists them', () => {
    const index = compile([firehol]);
    for (const ip of ['10.1.2.3', '10.0.0.0', '10.255.255.255', '192.168.1.1', '127.0.0.1', '0.0.0.0', '0.255.255.255', '224.0.0.1', '239.255.255.255', '240.0.0.0', '255.255.255.255', '100.64.0.1', '192.0.2.1']) {
      expect(find(index, ip), ip).toBeUndefined();
    }
  });

  it('still answers public addresses inside a clipped network, right up to the bogon edges', () => {
    const index = compile([firehol]);
    const answer = match(index, '8.8.8.8');
    expect(answer?.entry.security.is_known_attacker).toBe(true);
    expect(answer?.network).toBe('0.0.0.0/0');
    expect(find(index, '1.0.0.0')?.security.is_known_attacker).toBe(true);
    expect(find(index, '9.255.255.255')?.security.is_known_attacker).toBe(true);
    expect(find(index, '11.0.0.0')?.security.is_known_attacker).toBe(true);
    expect(find(index, '223.255.255.255')?.security.is_known_attacker).toBe(true);
  });

  it('answers the globally reachable exceptions inside special ranges', () => {
    const index = compile([firehol]);
    expect(find(index, '192.0.0.9')?.security.is_known_attacker).toBe(true);
    expect(find(index, '192.0.0.10')?.security.is_known_attacker).toBe(true);
    expect(find(index, '192.0.0.8')).toBeUndefined();
    expect(find(index, '192.0.0.11')).toBeUndefined();
  });

  it('counts every feed network clipped wholly or partly', () => {
    expect(buildIndex([firehol]).stats.bogonNetworksClipped).toBe(3);
    expect(buildIndex([source('clean', [['8.8.8.0/24', bot]])]).stats.bogonNetworksClipped).toBe(0);
  });

  it('indexes bogon space when clipping is turned off', () => {
    const index = compile([firehol], { clipBogons: false });
    expect(find(index, '10.1.2.3')?.security.is_known_attacker).toBe(true);
    expect(buildIndex([firehol], { clipBogons: false }).stats.bogonNetworksClipped).toBe(0);
  });
});

describe('IPv6', () => {
  const index = compile([
    source('all', [['::/0', attacker]]),
    source('mixed', [
      ['2a01:4f8::1/128', tor],
      ['2a00::/12', vpn],
      ['2001:db8::/32', proxy],
      ['2001:db8:1::/48', proxy],
    ]),
  ]);

  it('answers global unicast addresses from a /0 and never bogon space', () => {
    expect(match(index, '2001:4860:4860::8888')?.network).toBe('::/0');
    expect(find(index, '2002:c000:0204::1')?.security.is_known_attacker).toBe(true);
    expect(find(index, '2001:db8::1')).toBeUndefined();
    expect(find(index, '2001:db8:1::1')).toBeUndefined();
    expect(find(index, 'fe80::1')).toBeUndefined();
    expect(find(index, '::1')).toBeUndefined();
    expect(find(index, '::')).toBeUndefined();
    expect(find(index, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBeUndefined();
    expect(find(index, '3fff::1')).toBeUndefined();
    expect(find(index, '2001:100::1')).toBeUndefined();
    expect(find(index, '2001::1')?.security.is_known_attacker).toBe(true);
  });

  it('answers a /128 for that one address only', () => {
    const hit = match(index, '2a01:4f8:0:0:0:0:0:1');
    expect(hit?.network).toBe('2a01:4f8::1/128');
    expect(hit?.entry.security.is_tor).toBe(true);
    expect(find(index, '2a01:4f8::')?.security.is_tor).toBe(false);
    expect(find(index, '2a01:4f8::2')?.security.is_tor).toBe(false);
  });

  it('answers a large network up to its last address and not one past it', () => {
    expect(match(index, '2a00::')?.network).toBe('2a00::/12');
    expect(match(index, '2a0f:ffff:ffff:ffff:ffff:ffff:ffff:ffff')?.entry.security.is_vpn).toBe(true);
    expect(match(index, '2a10::')?.entry.security.is_vpn).toBe(false);
    expect(match(index, '29ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')?.entry.security.is_vpn).toBe(false);
    expect(match(index, '2a05:1:2:3:4:5:6:7')?.network).toBe('2a00::/12');
  });
});

describe('edges of the address space and of ranges', () => {
  const index = compile(
    [
      source('edges', [
        ['0.0.0.0/31', vpn],
        ['255.255.255.0/24', proxy],
        ['255.255.255.255/32', tor],
        ['::/127', vpn],
        ['ffff:ffff:ffff:ffff::/64', proxy],
        ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128', tor],
        ['2a00:1::/64', bot],
      ]),
    ],
    { clipBogons: false },
  );

  it('answers the first IPv4 addresses and stops at the end of the range', () => {
    expect(find(index, '0.0.0.0')?.security.is_vpn).toBe(true);
    expect(find(index, '0.0.0.1')?.security.is_vpn).toBe(true);
    expect(find(index, '0.0.0.2')).toBeUndefined();
  });

  it('answers the last IPv4 addresses from the most specific network', () => {
    expect(find(index, '255.255.254.255')).toBeUndefined();
    expect(find(index, '255.255.255.0')?.security.is_proxy).toBe(true);
    expect(find(index, '255.255.255.254')?.security.is_proxy).toBe(true);
    const last = match(index, '255.255.255.255');
    expect(last?.entry.security.is_tor).toBe(true);
    expect(last?.entry.security.is_proxy).toBe(false);
    expect(last?.network).toBe('255.255.255.255/32');
  });

  it('answers the first and last IPv6 addresses', () => {
    expect(match(index, '::')?.network).toBe('::/127');
    expect(find(index, '::1')?.security.is_vpn).toBe(true);
    expect(find(index, '::2')).toBeUndefined();
    expect(find(index, 'ffff:ffff:ffff:fffe:ffff:ffff:ffff:ffff')).toBeUndefined();
    expect(match(index, 'ffff:ffff:ffff:ffff::')?.network).toBe('ffff:ffff:ffff:ffff::/64');
    expect(find(index, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe')?.security.is_proxy).toBe(true);
    expect(match(index, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')?.entry.security.is_tor).toBe(true);
  });

  it('stops an IPv6 range exactly where its last word wraps', () => {
    expect(find(index, '2a00:0:ffff:ffff:ffff:ffff:ffff:ffff')).toBeUndefined();
    expect(find(index, '2a00:1::')?.security.is_bot).toBe(true);
    expect(find(index, '2a00:1:0:0:ffff:ffff:ffff:ffff')?.security.is_bot).toBe(true);
    expect(find(index, '2a00:1:0:1::')).toBeUndefined();
  });
});

describe('entries and segments', () => {
  it('shares one prebuilt entry between ranges with the same answer', () => {
    const index = compile([source('tor', [['1.1.1.1/32', tor], ['2.2.2.2/32', tor], ['2a00::1/128', tor]])]);
    const one = find(index, '1.1.1.1');
    expect(one).toBeDefined();
    expect(find(index, '2.2.2.2')).toBe(one);
    expect(find(index, '2a00::1')).toBe(one);
    expect(index.stats.entries).toBe(1);
    expect(one?.securityJson).toBe(JSON.stringify(one?.security));
    expect(match(index, '2.2.2.2')?.entry).toBe(one);
  });

  it('coalesces adjacent networks with the same answer but keeps each matched network exact', () => {
    const index = compile([source('list', [['9.9.8.0/24', bot], ['9.9.9.0/24', bot]])]);
    expect(index.stats.rangesV4).toBe(1);
    expect(match(index, '9.9.8.1')?.network).toBe('9.9.8.0/24');
    expect(match(index, '9.9.9.1')?.network).toBe('9.9.9.0/24');
  });

  it('fills every statistic', () => {
    const data = buildIndex([
      source('a', [['1.0.0.0/8', vpn], ['1.2.3.0/24', proxy], ['2a00::/12', vpn], ['10.0.0.0/8', vpn]], 3),
      source('b', [['1.2.3.0/24', tor], ['5.0.0.0/24', tor]]),
    ]);
    const { stats } = data;
    // Ranges: 1.0.0.0-1.2.2.255, 1.2.3.0/24, 1.2.4.0-1.255.255.255, 5.0.0.0/24; 10/8 is clipped.
    expect(stats.rangesV4).toBe(4);
    expect(stats.rangesV6).toBe(1);
    // Answers: vpn (a, both families), proxy + tor (a and b), tor (b).
    expect(stats.entries).toBe(3);
    expect(stats.bogonNetworksClipped).toBe(1);
    expect(stats.sources).toEqual([
      { name: 'a', format: 'netset', networksV4: 3, networksV6: 1, problems: 3, rangesV4: 3, rangesV6: 1 },
      { name: 'b', format: 'netset', networksV4: 2, networksV6: 0, problems: 0, rangesV4: 2, rangesV6: 0 },
    ]);
    expect(stats.flags.is_vpn).toEqual({ rangesV4: 2, rangesV6: 1, addressesV4: 2 ** 24 - 256 });
    expect(stats.flags.is_proxy).toEqual({ rangesV4: 1, rangesV6: 0, addressesV4: 256 });
    expect(stats.flags.is_tor).toEqual({ rangesV4: 2, rangesV6: 0, addressesV4: 512 });
    expect(stats.flags.is_anonymous).toEqual({ rangesV4: 4, rangesV6: 1, addressesV4: 2 ** 24 + 256 });
    expect(stats.flags.is_bot).toEqual({ rangesV4: 0, rangesV6: 0, addressesV4: 0 });
  });

  it('answers nothing when no source lists anything', () => {
    const index = compile([]);
    expect(find(index, '8.8.8.8')).toBeUndefined();
    expect(find(index, '2a00::1')).toBeUndefined();
    expect(index.stats.rangesV4).toBe(0);
  });
});

describe('versions', () => {
  it('names a version after the build time and the payload digest by default', () => {
    const builtAt = new Date('2025-03-04T05:06:07.890Z');
    const data = buildIndex([source('tor', [['1.1.1.1', tor]])], { builtAt });
    expect(data.builtAt).toBe(builtAt);
    expect(data.version).toMatch(/^20250304T050607Z-[0-9a-f]{8}$/);
    const other = buildIndex([source('tor', [['1.1.1.2', tor]])], { builtAt });
    expect(other.version).not.toBe(data.version);
  });

  it('uses the version it is given', () => {
    expect(buildIndex([], { version: 'v42' }).version).toBe('v42');
  });
});
