import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FeedEntry, LoadedSource } from '../../../src/feeds/types.js';
import { bigIntToWords, formatIPv4, formatIPv6 } from '../../../src/ip/address.js';
import type { Network } from '../../../src/ip/network.js';
import { specialV4, specialV6 } from '../../../src/ip/special.js';
import { buildIndex } from '../../../src/range-index/build.js';
import { CompiledRangeIndex } from '../../../src/range-index/range-index.js';
import { decodeSnapshot, encodeSnapshot } from '../../../src/range-index/snapshot.js';
import type { RangeIndex } from '../../../src/range-index/types.js';
import type { SecurityRecord, Signals } from '../../../src/security/record.js';
import { SECURITY_FIELDS } from '../../../src/security/record.js';
import type { ScoreWeights } from '../../../src/security/score.js';
import { DEFAULT_SCORE_WEIGHTS } from '../../../src/security/score.js';
import { params, timeoutMs } from '../../helpers/property.js';

/**
 * The compiled index against a per-query scan written from the documented rules (README "The
 * index behaves as follows", SPEC section 5, the score model of README "The threat score"):
 * - within one source, the most specific network holding the address wins (every row of it);
 * - across sources the answers merge: flags OR (a residential proxy is a proxy), provider names
 *   united (non-empty ones, most specific source first, then config order), confidence and
 *   last seen take the maximum, a single provider name comes from the first source that has
 *   one in that order;
 * - the score: the highest score a source supplied, raised to the model's score of the merged
 *   flags when some contributing row supplied none (the model alone when no row did);
 * - `is_anonymous` is VPN or proxy or Tor or relay;
 * - addresses in IANA special-purpose space (what the lookup path answers as private) get no
 *   answer, whatever the feeds say;
 * - the matched network is the most specific contributing one; the sources are the
 *   contributing ones, in config order.
 * Nothing here calls the builder's merge code: the score model is re-derived from its formula.
 */

const V4_BITS = 32;
const V6_BITS = 128;

interface Span {
  first: bigint;
  last: bigint;
}

function spanOf(net: Network): Span {
  const bits = net.family === 4 ? V4_BITS : V6_BITS;
  const first = BigInt(net.first);
  return { first, last: first + (1n << BigInt(bits - net.prefix)) - 1n };
}

function modelScore(r: SecurityRecord, w: Readonly<ScoreWeights>): number {
  const c = (confidence: number): number => (confidence <= 0 ? 1 : Math.min(1, confidence / Math.max(1, w.confidence_full_at)));
  const anonymity = Math.max(
    0,
    r.is_tor ? w.tor : 0,
    r.is_relay ? w.relay : 0,
    r.is_vpn ? w.vpn * c(r.vpn_confidence_score) : 0,
    r.is_residential_proxy ? w.residential_proxy * c(r.proxy_confidence_score) : r.is_proxy ? w.proxy * c(r.proxy_confidence_score) : 0,
  );
  const abuse =
    (r.is_known_attacker ? w.known_attacker : 0) + (r.is_bot ? w.bot : 0) + (r.is_spam ? w.spam : 0) + (r.is_cloud_provider ? w.cloud_provider : 0);
  return Math.min(100, Math.round(anonymity + abuse));
}

function merge(rows: readonly Signals[], w: Readonly<ScoreWeights>): SecurityRecord {
  const any = (f: keyof Signals): boolean => rows.some((s) => s[f] === true);
  const names = (f: 'vpn_provider_names' | 'proxy_provider_names'): string[] => [...new Set(rows.flatMap((s) => s[f] ?? []).filter((n) => n !== ''))];
  const max = (f: 'vpn_confidence_score' | 'proxy_confidence_score'): number => Math.max(0, ...rows.map((s) => s[f] ?? 0));
  const latest = (f: 'vpn_last_seen' | 'proxy_last_seen'): string => rows.map((s) => s[f] ?? '').reduce((a, b) => (b > a ? b : a), '');
  const first = (f: 'relay_provider_name' | 'cloud_provider_name'): string => rows.map((s) => s[f] ?? '').find((n) => n !== '') ?? '';
  const r: SecurityRecord = {
    threat_score: 0,
    is_tor: any('is_tor'),
    is_proxy: any('is_proxy') || any('is_residential_proxy'),
    proxy_provider_names: names('proxy_provider_names'),
    proxy_confidence_score: max('proxy_confidence_score'),
    proxy_last_seen: latest('proxy_last_seen'),
    is_residential_proxy: any('is_residential_proxy'),
    is_vpn: any('is_vpn'),
    vpn_provider_names: names('vpn_provider_names'),
    vpn_confidence_score: max('vpn_confidence_score'),
    vpn_last_seen: latest('vpn_last_seen'),
    is_relay: any('is_relay'),
    relay_provider_name: first('relay_provider_name'),
    is_anonymous: false,
    is_known_attacker: any('is_known_attacker'),
    is_bot: any('is_bot'),
    is_spam: any('is_spam'),
    is_cloud_provider: any('is_cloud_provider'),
    cloud_provider_name: first('cloud_provider_name'),
  };
  r.is_anonymous = r.is_vpn || r.is_proxy || r.is_tor || r.is_relay;
  const supplied = rows.filter((s) => s.threat_score !== undefined).map((s) => s.threat_score!);
  const unscored = supplied.length < rows.length;
  r.threat_score = Math.max(0, ...supplied, unscored ? modelScore(r, w) : 0);
  return r;
}

interface Answer {
  security: SecurityRecord;
  sources: string[];
  network: string;
}

function isSpecial(family: 4 | 6, address: bigint): boolean {
  return family === 4 ? specialV4(Number(address)) !== undefined : specialV6(bigIntToWords(address)) !== undefined;
}

/** The slow, obvious answer: scan every row of every source. */
function reference(sources: readonly LoadedSource[], family: 4 | 6, address: bigint, w: Readonly<ScoreWeights>): Answer | undefined {
  if (isSpecial(family, address)) return undefined;
  const winners: { source: number; net: Network; rows: Signals[] }[] = [];
  sources.forEach((src, source) => {
    let best: { net: Network; rows: Signals[] } | undefined;
    for (const entry of src.entries) {
      if (entry.network.family !== family) continue;
      const s = spanOf(entry.network);
      if (address < s.first || address > s.last) continue;
      if (!best || entry.network.prefix > best.net.prefix) best = { net: entry.network, rows: [entry.signals] };
      else if (entry.network.prefix === best.net.prefix) best.rows.push(entry.signals);
    }
    if (best) winners.push({ source, ...best });
  });
  if (winners.length === 0) return undefined;
  const ordered = winners.slice().sort((a, b) => b.net.prefix - a.net.prefix || a.source - b.source);
  const top = ordered[0]!.net;
  return {
    security: merge(
      ordered.flatMap((x) => x.rows),
      w,
    ),
    sources: winners.map((x) => sources[x.source]!.name),
    network: top.family === 4 ? `${formatIPv4(top.first)}/${top.prefix}` : `${formatIPv6(bigIntToWords(top.first))}/${top.prefix}`,
  };
}

function lookup(index: RangeIndex, family: 4 | 6, address: bigint): Answer | undefined {
  const m = family === 4 ? index.matchV4(Number(address)) : index.matchV6(bigIntToWords(address));
  const found = family === 4 ? index.findV4(Number(address)) : index.findV6(bigIntToWords(address));
  if (found !== m?.entry) throw new Error('find and match disagree');
  if (!m) return undefined;
  if (m.entry.securityJson !== JSON.stringify(m.entry.security)) throw new Error('securityJson is not the security object');
  return { security: { ...m.entry.security }, sources: [...m.entry.sources], network: m.network };
}

// ---- generators ----------------------------------------------------------------------------

/** Hot spots: networks near them nest, repeat and straddle bogon edges and exceptions. */
const HOT_V4 = ['1.2.3.4', '8.8.8.8', '10.20.30.40', '100.63.255.250', '192.0.0.9', '192.168.7.7', '223.255.255.200', '0.0.0.1', '255.255.255.254', '172.32.0.1']
  .map((t) => t.split('.').reduce((v, o) => v * 256n + BigInt(o), 0n));
const HOT_V6 = [0x2a001450n << 96n, 0x20010db8n << 96n, 0x20010000n << 96n, 0x20010004_01120000n << 64n, 0x2002_0102_0304n << 80n, 0x3fff_1000n << 96n, 0x1fff_ffffn << 96n, 0x2c0f_ffffn << 96n, 1n, (1n << 128n) - 2n];

const NAMES = ['', 'NordVPN', 'Mullvad', 'Proton', 'Bright Data', 'IPRoyal'];
const DATES = ['', '2024-12-31', '2025-01-02', '2025-06-30', '2026-01-19'];

const signals: fc.Arbitrary<Signals> = fc.record(
  {
    threat_score: fc.integer({ min: 0, max: 100 }),
    is_tor: fc.boolean(),
    is_proxy: fc.boolean(),
    proxy_provider_names: fc.array(fc.constantFrom(...NAMES), { maxLength: 3 }),
    proxy_confidence_score: fc.integer({ min: 0, max: 100 }),
    proxy_last_seen: fc.constantFrom(...DATES),
    is_residential_proxy: fc.boolean(),
    is_vpn: fc.boolean(),
    vpn_provider_names: fc.array(fc.constantFrom(...NAMES), { maxLength: 3 }),
    vpn_confidence_score: fc.integer({ min: 0, max: 100 }),
    vpn_last_seen: fc.constantFrom(...DATES),
    is_relay: fc.boolean(),
    relay_provider_name: fc.constantFrom('', 'iCloud Private Relay', 'Other Relay'),
    is_known_attacker: fc.boolean(),
    is_bot: fc.boolean(),
    is_spam: fc.boolean(),
    is_cloud_provider: fc.boolean(),
    cloud_provider_name: fc.constantFrom('', 'AWS', 'Azure', 'GCP'),
  },
  { requiredKeys: [] },
);

function networkArb(family: 4 | 6): fc.Arbitrary<Network> {
  const bits = family === 4 ? V4_BITS : V6_BITS;
  const hot = family === 4 ? HOT_V4 : HOT_V6;
  const prefix = family === 4
    ? fc.oneof(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 20, max: 32 }), fc.constantFrom(8, 12, 16, 24, 31, 32))
    : fc.oneof(fc.integer({ min: 0, max: 128 }), fc.integer({ min: 100, max: 128 }), fc.constantFrom(3, 16, 20, 23, 28, 32, 48, 64, 96, 127, 128));
  const base = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...hot), fc.bigInt({ min: 0n, max: (1n << BigInt(bits / 4)) - 1n })).map(([h, x]) => h ^ x) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }) },
  );
  return fc.tuple(base, prefix).map(([b, p]) => {
    const host = BigInt(bits - p);
    const first = (b >> host) << host;
    return family === 4 ? { family: 4, first: Number(first), prefix: p } : { family: 6, first, prefix: p };
  });
}

const entry: fc.Arbitrary<FeedEntry[]> = fc
  .tuple(fc.oneof(networkArb(4), networkArb(6)), signals, fc.option(signals, { freq: 8 }))
  // Sometimes the same network twice in one source, saying something else (Azure does this).
  .map(([network, s, again]) => (again ? [{ network, signals: s }, { network, signals: again }] : [{ network, signals: s }]));

const sourcesArb: fc.Arbitrary<LoadedSource[]> = fc
  .array(fc.array(entry, { minLength: 0, maxLength: 25 }), { minLength: 1, maxLength: 4 })
  .map((lists) =>
    lists.map((entries, s) => ({ name: `src${s}`, format: 'netset' as const, file: `src${s}.netset`, entries: entries.flat(), problems: [], bytes: 0 })),
  );

const weightsArb: fc.Arbitrary<Readonly<ScoreWeights>> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(DEFAULT_SCORE_WEIGHTS) },
  {
    weight: 1,
    arbitrary: fc.record({
      tor: fc.integer({ min: 0, max: 100 }),
      vpn: fc.integer({ min: 0, max: 100 }),
      proxy: fc.integer({ min: 0, max: 100 }),
      residential_proxy: fc.integer({ min: 0, max: 100 }),
      relay: fc.integer({ min: 0, max: 100 }),
      known_attacker: fc.integer({ min: 0, max: 100 }),
      bot: fc.integer({ min: 0, max: 100 }),
      spam: fc.integer({ min: 0, max: 100 }),
      cloud_provider: fc.integer({ min: 0, max: 100 }),
      confidence_full_at: fc.integer({ min: 1, max: 100 }),
    }),
  },
);

/** Every network's first and last address and one either side, plus random addresses. */
function queries(sources: readonly LoadedSource[], random: readonly (readonly [4 | 6, bigint])[]): [4 | 6, bigint][] {
  const out: [4 | 6, bigint][] = [...random.map(([f, a]) => [f, a] as [4 | 6, bigint])];
  for (const src of sources) {
    for (const { network } of src.entries) {
      const family = network.family;
      const max = (1n << BigInt(family === 4 ? V4_BITS : V6_BITS)) - 1n;
      const s = spanOf(network);
      for (const a of [s.first - 1n, s.first, s.last, s.last + 1n]) if (a >= 0n && a <= max) out.push([family, a]);
    }
  }
  return out;
}

const randomAddresses = fc.array(
  fc.oneof(
    fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }).map((a) => [4, a] as const),
    fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((a) => [6, a] as const),
    fc.tuple(fc.constantFrom(...HOT_V4), fc.bigInt({ min: 0n, max: 0xffffn })).map(([h, x]) => [4, h ^ x] as const),
    fc.tuple(fc.constantFrom(...HOT_V6), fc.bigInt({ min: 0n, max: (1n << 40n) - 1n })).map(([h, x]) => [6, h ^ x] as const),
  ),
  { minLength: 20, maxLength: 60 },
);

function label(family: 4 | 6, address: bigint): string {
  return family === 4 ? formatIPv4(Number(address)) : formatIPv6(bigIntToWords(address));
}

describe('the range index against a per-query scan of the feeds', () => {
  it(
    'answers every range boundary and random address of random overlapping sources as the documented merge does (both families)',
    () => {
      let answered = 0;
      let gaps = 0;
      fc.assert(
        fc.property(sourcesArb, weightsArb, randomAddresses, (sources, weights, random) => {
          const direct = new CompiledRangeIndex(buildIndex(sources, { weights, version: 'p', builtAt: new Date(0) }));
          for (const [family, address] of queries(sources, random)) {
            const want = reference(sources, family, address, weights);
            const got = lookup(direct, family, address);
            if (want) answered++;
            else gaps++;
            if (JSON.stringify(got) !== JSON.stringify(want)) expect(got, label(family, address)).toEqual(want);
          }
        }),
        params(101, 400),
      );
      // The generators must exercise both answers and gaps.
      expect(answered).toBeGreaterThan(10_000);
      expect(gaps).toBeGreaterThan(10_000);
    },
    timeoutMs(8_000),
  );

  it(
    'gives the same answers after a snapshot round trip',
    () => {
      fc.assert(
        fc.property(sourcesArb, randomAddresses, (sources, random) => {
          const built = buildIndex(sources, { version: 'p', builtAt: new Date(0) });
          const direct = new CompiledRangeIndex(built);
          const loaded = decodeSnapshot(encodeSnapshot(built), 'memory');
          for (const [family, address] of queries(sources, random)) {
            const a = lookup(direct, family, address);
            const b = lookup(loaded, family, address);
            if (JSON.stringify(a) !== JSON.stringify(b)) expect(b, label(family, address)).toEqual(a);
          }
        }),
        params(102, 150),
      );
    },
    timeoutMs(5_000),
  );

  it('keeps the security object in the documented field order in every answer', () => {
    fc.assert(
      fc.property(sourcesArb, (sources) => {
        const index = new CompiledRangeIndex(buildIndex(sources, { version: 'p', builtAt: new Date(0) }));
        for (const e of index.entries) expect(Object.keys(e.security)).toEqual(SECURITY_FIELDS);
      }),
      params(103, 100),
    );
  });
});
