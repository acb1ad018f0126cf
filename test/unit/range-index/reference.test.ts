import { describe, expect, it } from 'vitest';
import type { FeedEntry, LoadedSource } from '../../../src/feeds/types.js';
import { bigIntToWords, formatIPv4, formatIPv6 } from '../../../src/ip/address.js';
import { parseNetwork } from '../../../src/ip/network.js';
import type { Network } from '../../../src/ip/network.js';
import { BOGON_V4_CIDRS, BOGON_V6_CIDRS, GLOBAL_EXCEPTION_CIDRS } from '../../../src/ip/special.js';
import { buildIndex } from '../../../src/range-index/build.js';
import { CompiledRangeIndex } from '../../../src/range-index/range-index.js';
import { decodeSnapshot, encodeSnapshot } from '../../../src/range-index/snapshot.js';
import type { RangeIndex } from '../../../src/range-index/types.js';
import type { Signals } from '../../../src/security/record.js';
import type { SecurityRecord } from '../../../src/security/record.js';
import { mergeSignals } from '../../../src/security/score.js';

/** mulberry32: small, seeded, good enough to spread test networks. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const V4_BITS = 32;
const V6_BITS = 128;

interface Span {
  first: bigint;
  last: bigint;
  prefix: number;
}

function span(net: Network): Span {
  const bits = net.family === 4 ? V4_BITS : V6_BITS;
  const first = BigInt(net.first);
  return { first, last: first + (1n << BigInt(bits - net.prefix)) - 1n, prefix: net.prefix };
}

function networkOf(family: 4 | 6, first: bigint, prefix: number): Network {
  return family === 4 ? { family: 4, first: Number(first), prefix } : { family: 6, first, prefix };
}

interface Expected {
  security: SecurityRecord;
  sources: string[];
  network: string;
}

/**
 * The rules of SPEC section 5 applied the slow, obvious way: scan every row of every source for
 * the address, keep each source's most specific network (all its rows), merge across sources
 * most specific first, never answer bogon space.
 */
function reference(sources: readonly LoadedSource[], family: 4 | 6, address: bigint): Expected | undefined {
  const inside = (cidrs: readonly string[]): Span[] =>
    cidrs
      .map(parseNetwork)
      .filter((n) => n.family === family)
      .map(span)
      .filter((s) => s.first <= address && address <= s.last);
  const bogons = inside(family === 4 ? BOGON_V4_CIDRS : BOGON_V6_CIDRS);
  const exceptions = inside(GLOBAL_EXCEPTION_CIDRS);
  if (bogons.length > 0 && exceptions.length === 0) return undefined;

  const winners: { source: number; prefix: number; first: bigint; rows: Signals[] }[] = [];
  sources.forEach((src, source) => {
    let best: { prefix: number; first: bigint; rows: Signals[] } | undefined;
    for (const entry of src.entries) {
      if (entry.network.family !== family) continue;
      const s = span(entry.network);
      if (address < s.first || address > s.last) continue;
      if (!best || s.prefix > best.prefix) best = { prefix: s.prefix, first: s.first, rows: [entry.signals] };
      else if (s.prefix === best.prefix) best.rows.push(entry.signals);
    }
    if (best) winners.push({ source, ...best });
  });
  if (winners.length === 0) return undefined;
  winners.sort((a, b) => b.prefix - a.prefix || a.source - b.source);
  const top = winners[0]!;
  const network =
    family === 4 ? `${formatIPv4(Number(top.first))}/${top.prefix}` : `${formatIPv6(bigIntToWords(top.first))}/${top.prefix}`;
  return {
    security: mergeSignals(winners.flatMap((w) => w.rows)),
    sources: winners.map((w) => w.source).sort((a, b) => a - b).map((s) => sources[s]!.name),
    network,
  };
}

const PALETTE: readonly Signals[] = [
  { is_vpn: true, vpn_provider_names: ['NordVPN'], vpn_confidence_score: 70, vpn_last_seen: '2025-01-02' },
  { is_vpn: true, vpn_provider_names: ['Mullvad'] },
  { is_proxy: true, proxy_provider_names: ['Bright Data'], proxy_confidence_score: 95 },
  { is_proxy: true, is_residential_proxy: true, proxy_provider_names: ['IPRoyal'], proxy_last_seen: '2025-02-03' },
  { is_tor: true },
  { is_relay: true, relay_provider_name: 'iCloud Private Relay' },
  { is_known_attacker: true },
  { is_spam: true },
  { is_bot: true },
  { is_cloud_provider: true, cloud_provider_name: 'AWS' },
  { is_cloud_provider: true, cloud_provider_name: 'Azure' },
  { threat_score: 65, is_vpn: true, vpn_provider_names: ['Proton'] },
  { threat_score: 5, is_cloud_provider: true, cloud_provider_name: 'GCP' },
];

interface Scenario {
  sources: LoadedSource[];
  samples: { family: 4 | 6; address: bigint }[];
}

/**
 * Networks cluster around a few hot spots, some inside bogon space, so that they nest deeply,
 * repeat across and within sources and straddle clipping edges. Samples sit on every network's
 * edges (first, last, one either side) and at random.
 */
function scenario(seed: number): Scenario {
  const random = prng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  const randomBits = (bits: number): bigint => {
    let v = 0n;
    for (let k = 0; k < bits; k += 16) v = (v << 16n) | BigInt(int(65536));
    return v & ((1n << BigInt(bits)) - 1n);
  };
  const hotV4 = ['1.2.3.4', '10.20.30.40', '100.64.1.1', '192.0.0.9', '192.168.7.7', '223.255.255.200', '0.0.0.1', '255.255.255.254', '8.8.8.8'];
  const hotV6 = ['2a00:1450::1', '2001:db8::5', '2001::1', '2001:1ff::1', 'fe80::1', '2002:102:304::1', '::1', 'ffff::1', '2c0f:ffff::1'];
  const hot = (family: 4 | 6): bigint[] =>
    (family === 4 ? hotV4 : hotV6).map((t) => span(parseNetwork(t)).first);

  const sources: LoadedSource[] = [];
  const spans: { family: 4 | 6; span: Span }[] = [];
  for (let s = 0; s < 4; s++) {
    const entries: FeedEntry[] = [];
    for (let i = 0; i < 150; i++) {
      const family: 4 | 6 = random() < 0.6 ? 4 : 6;
      const bits = family === 4 ? V4_BITS : V6_BITS;
      const base = random() < 0.8 ? pick(hot(family)) ^ randomBits(int(bits / 4)) : randomBits(bits);
      const prefix = family === 4 ? pick([0, 1, 4, 8, 12, 16, 20, 24, 28, 30, 31, 32, ...Array<number>(6).fill(int(33))]) : pick([0, 3, 8, 16, 23, 32, 48, 64, 96, 120, 127, 128, int(129)]);
      const hostBits = BigInt(bits - prefix);
      const first = (base >> hostBits) << hostBits;
      const network = networkOf(family, first, prefix);
      const signals = pick(PALETTE);
      entries.push({ network, signals });
      // Azure-style repeats: the same network again in the same source, saying something else.
      if (random() < 0.1) entries.push({ network, signals: pick(PALETTE) });
      spans.push({ family, span: span(network) });
    }
    sources.push({ name: `src${s}`, format: 'netset', file: `src${s}.netset`, entries, problems: [], bytes: 0 });
  }

  const samples: Scenario['samples'] = [];
  const max = (family: 4 | 6): bigint => (1n << BigInt(family === 4 ? V4_BITS : V6_BITS)) - 1n;
  const add = (family: 4 | 6, address: bigint): void => {
    if (address >= 0n && address <= max(family)) samples.push({ family, address });
  };
  for (const { family, span: s } of spans) {
    add(family, s.first - 1n);
    add(family, s.first);
    add(family, s.last);
    add(family, s.last + 1n);
  }
  for (let i = 0; i < 1500; i++) {
    const family: 4 | 6 = random() < 0.5 ? 4 : 6;
    const bits = family === 4 ? V4_BITS : V6_BITS;
    add(family, random() < 0.5 ? randomBits(bits) : pick(hot(family)) ^ randomBits(int(bits / 3)));
  }
  return { sources, samples };
}

function actual(index: RangeIndex, family: 4 | 6, address: bigint): Expected | undefined {
  const m = family === 4 ? index.matchV4(Number(address)) : index.matchV6(bigIntToWords(address));
  const found = family === 4 ? index.findV4(Number(address)) : index.findV6(bigIntToWords(address));
  expect(found).toBe(m?.entry);
  if (!m) return undefined;
  expect(m.entry.securityJson).toBe(JSON.stringify(m.entry.security));
  return { security: { ...m.entry.security }, sources: [...m.entry.sources], network: m.network };
}

describe('the index against a naive reference implementation', () => {
  for (const seed of [1, 2, 3]) {
    it(`gives the reference answer for every sampled address, before and after a snapshot round trip (seed ${seed})`, () => {
      const { sources, samples } = scenario(seed);
      expect(samples.length).toBeGreaterThan(3000);
      const built = buildIndex(sources);
      const direct = new CompiledRangeIndex(built);
      const loaded = decodeSnapshot(encodeSnapshot(built), 'memory');
      let answered = 0;
      for (const { family, address } of samples) {
        const label = family === 4 ? formatIPv4(Number(address)) : formatIPv6(bigIntToWords(address));
        const want = reference(sources, family, address);
        if (want) answered++;
        expect(actual(direct, family, address), label).toEqual(want);
        expect(actual(loaded, family, address), label).toEqual(want);
      }
      // The scenario must exercise both answers and gaps.
      expect(answered).toBeGreaterThan(samples.length / 5);
      expect(answered).toBeLessThan(samples.length);
    });
  }
});
