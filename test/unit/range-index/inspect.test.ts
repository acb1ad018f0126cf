import { describe, expect, it } from 'vitest';
import { buildIndex } from '../../../src/range-index/build.js';
import { describeIndex, describeIndexJson, formatAge } from '../../../src/range-index/inspect.js';
import { CompiledRangeIndex } from '../../../src/range-index/range-index.js';
import { decodeSnapshot, encodeSnapshot } from '../../../src/range-index/snapshot.js';
import { source } from './sources.js';

const builtAt = new Date('2025-06-01T10:00:00Z');
const now = new Date(builtAt.getTime() + (3 * 3600 + 12 * 60 + 30) * 1000);
const index = new CompiledRangeIndex(
  buildIndex(
    [
      source('tor-exits', [['185.220.101.0/24', { is_tor: true }], ['2a0b:f4c2::/40', { is_tor: true }]], 2),
      source('x4b-vpn', [['5.0.0.0/16', { is_vpn: true }], ['10.0.0.0/8', { is_vpn: true }]]),
    ],
    { builtAt, version: 'test-1' },
  ),
);

describe('formatAge', () => {
  it('shows the largest unit and the next one', () => {
    expect(formatAge(0)).toBe('0 s');
    expect(formatAge(59)).toBe('59 s');
    expect(formatAge(60)).toBe('1 min');
    expect(formatAge(61)).toBe('1 min 1 s');
    expect(formatAge(3 * 3600 + 12 * 60 + 30)).toBe('3 h 12 min');
    expect(formatAge(3 * 3600 + 5)).toBe('3 h');
    expect(formatAge(2 * 86400 + 5 * 3600 + 7)).toBe('2 d 5 h');
  });

  it('says so when the build time lies in the future', () => {
    expect(formatAge(-90)).toBe('1 min 30 s in the future (clock skew?)');
  });
});

describe('describeIndex', () => {
  const text = describeIndex(index, now);

  it('shows the version, the build time and its age', () => {
    expect(text).toContain('test-1');
    expect(text).toContain('2025-06-01T10:00:00.000Z (3 h 12 min ago)');
  });

  it('shows ranges per family, entries and clipped networks', () => {
    expect(text).toMatch(/ranges\s+2 IPv4, 1 IPv6/);
    expect(text).toMatch(/entries\s+2 distinct answers/);
    expect(text).toMatch(/bogons\s+1 feed networks clipped/);
  });

  it('shows one row per source with its format and counts', () => {
    const row = (name: string): string[] => text.split('\n').find((l) => l.trim().startsWith(name))!.trim().split(/\s+/);
    expect(row('tor-exits')).toEqual(['tor-exits', 'netset', '1', '1', '2', '1', '1']);
    expect(row('x4b-vpn')).toEqual(['x4b-vpn', 'netset', '2', '0', '0', '1', '0']);
  });

  it('shows flag totals with grouped address counts', () => {
    const row = (flag: string): string[] => text.split('\n').find((l) => l.trim().startsWith(flag))!.trim().split(/\s+/);
    expect(row('is_vpn')).toEqual(['is_vpn', '1', '0', '65,536']);
    expect(row('is_tor')).toEqual(['is_tor', '1', '1', '256']);
  });
});

describe('describeIndexJson', () => {
  it('gives the same facts as plain data', () => {
    const d = describeIndexJson(index, now);
    expect(d.version).toBe('test-1');
    expect(d.built_at).toBe('2025-06-01T10:00:00.000Z');
    expect(d.age_seconds).toBe(3 * 3600 + 12 * 60 + 30);
    expect(d.ranges).toEqual({ v4: 2, v6: 1 });
    expect(d.entries).toBe(2);
    expect(d.bogon_networks_clipped).toBe(1);
    expect(d.sources[0]).toEqual({
      name: 'tor-exits',
      format: 'netset',
      networks_v4: 1,
      networks_v6: 1,
      problems: 2,
      ranges_v4: 1,
      ranges_v6: 1,
      benign: null,
    });
    expect(d.flags.is_vpn).toEqual({ ranges_v4: 1, ranges_v6: 0, addresses_v4: 65536 });
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });
});

describe('known-good sources in inspect', () => {
  const attackers = source('attackers', [['185.220.101.0/24', { is_known_attacker: true }], ['2a0b:f4c2::/40', { is_known_attacker: true }]]);
  const crawlers = { ...source('crawlers', [['185.220.101.0/28', {}], ['185.220.102.0/28', {}]]), knownGood: { provider: 'Example crawlers' } };
  const data = buildIndex([attackers, crawlers], { builtAt, version: 'benign-1' });

  it('name the provider and count the ranges where they cleared a flag, also after a snapshot round trip', () => {
    for (const index of [new CompiledRangeIndex(data), decodeSnapshot(encodeSnapshot(data), 'benign.snap')]) {
      const d = describeIndexJson(index, now);
      expect(d.sources.map((s) => [s.name, s.benign])).toEqual([
        ['attackers', null],
        // 185.220.101.0/28 cleared; 185.220.102.0/28 had nothing to clear.
        ['crawlers', { provider: 'Example crawlers', cleared_ranges_v4: 1, cleared_ranges_v6: 0 }],
      ]);
      const text = describeIndex(index, now);
      expect(text).toContain('known-good sources (meaning benign');
      expect(text).toMatch(/crawlers\s+Example crawlers\s+1\s+0/);
    }
  });

  it('are not mentioned when the index has none', () => {
    expect(describeIndex(index, now)).not.toContain('known-good');
  });
});
