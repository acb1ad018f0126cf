import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildFromConfig } from '../../src/cli/open-index.js';
import { loadConfig } from '../../src/config/load.js';
import type { LoadedSource } from '../../src/feeds/types.js';
import type { Network } from '../../src/ip/network.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { buildIndex } from '../../src/range-index/build.js';
import type { SnapshotData } from '../../src/range-index/types.js';
import type { Meaning, Signals } from '../../src/security/record.js';
import { signalsForMeaning } from '../../src/security/record.js';
import { Prng } from './prng.js';

export const SHARED_DATA_CONFIG = path.join(PACKAGE_ROOT, 'config', 'sources.shared-data.yaml');

/** Every real feed of ../shared/data, read and compiled as `iprisk index build` does. */
export async function buildRealIndex(): Promise<{ data: SnapshotData; problems: number }> {
  const probe = path.resolve(PACKAGE_ROOT, '..', 'shared', 'data', 'README.md');
  if (!existsSync(probe)) throw new Error(`the real feeds are missing: expected ${probe} (see config/sources.shared-data.yaml)`);
  const loaded = loadConfig(SHARED_DATA_CONFIG, {});
  let problems = 0;
  const { data } = await buildFromConfig(loaded, () => problems++, 'bench-real-feeds');
  return { data, problems };
}

/** The handful of answers the synthetic index holds: one synthetic feed per meaning. */
const SYNTHETIC_SOURCES: readonly { name: string; meaning: Meaning; provider?: string }[] = [
  { name: 'syn-tor', meaning: 'tor' },
  { name: 'syn-vpn', meaning: 'vpn', provider: 'Synthetic VPN' },
  { name: 'syn-proxy', meaning: 'proxy' },
  { name: 'syn-attacker', meaning: 'attacker' },
  { name: 'syn-cloud', meaning: 'cloud', provider: 'Synthetic Cloud' },
  { name: 'syn-spam', meaning: 'spam' },
];

/**
 * Prefix length weights: a network of length p is drawn with weight 2^((p - 8) / 2), so /32s
 * and /24s dominate as in real feeds while a few dozen /8s and some hundred /16s make the
 * nesting deep (a /8 of one feed holding /24s of another, holding /32s of a third).
 */
function prefixTable(): { prefixes: number[]; cumulative: number[] } {
  const prefixes: number[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (let p = 8; p <= 32; p++) {
    total += 2 ** ((p - 8) / 2);
    prefixes.push(p);
    cumulative.push(total);
  }
  return { prefixes, cumulative: cumulative.map((c) => c / total) };
}

/**
 * Networks drawn per range wanted: a nested network splits its parent's range in two, a disjoint
 * one adds one range, and after bogon clipping and coalescing about 1.3 ranges per network
 * remain (measured on this generator with its seed).
 */
const RANGES_PER_NETWORK = 1.3;

/**
 * A synthetic IPv4 index of about `ranges` ranges: random networks /8../32, nested or disjoint
 * as they fall, from six feeds of one meaning each. Seeded and with a fixed build time, so
 * every run builds the same index (and the MMDB cache hits).
 */
export function buildSyntheticIndex(ranges: number, seed = 0x1b2c3d4e): SnapshotData {
  const rng = new Prng(seed);
  const { prefixes, cumulative } = prefixTable();
  const sources: LoadedSource[] = SYNTHETIC_SOURCES.map((s) => ({
    name: s.name,
    format: 'netset',
    file: `(synthetic ${s.name})`,
    entries: [],
    problems: [],
    bytes: 0,
  }));
  const signals: Signals[] = SYNTHETIC_SOURCES.map((s) => Object.freeze(signalsForMeaning(s.meaning, s.provider)));
  const networks = Math.round(ranges / RANGES_PER_NETWORK);
  for (let i = 0; i < networks; i++) {
    const u = rng.float();
    let k = 0;
    while (cumulative[k]! < u) k++;
    const prefix = prefixes[k]!;
    const size = 2 ** (32 - prefix);
    const first = Math.floor(rng.next() / size) * size;
    const s = rng.int(sources.length);
    const network: Network = { family: 4, first, prefix };
    sources[s]!.entries.push({ network, signals: signals[s]! });
  }
  return buildIndex(sources, { version: `bench-synthetic-${ranges}-${seed.toString(16)}`, builtAt: new Date('2025-01-01T00:00:00Z') });
}
