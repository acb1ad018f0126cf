import type { LoadedSource } from '../feeds/types.js';
import { parseNetwork } from '../ip/network.js';
import type { Network } from '../ip/network.js';
import { BOGON_V4_CIDRS, BOGON_V6_CIDRS, GLOBAL_EXCEPTION_CIDRS } from '../ip/special.js';
import type { Signals } from '../security/record.js';
import type { ScoreWeights } from '../security/score.js';
import { DEFAULT_SCORE_WEIGHTS } from '../security/score.js';
import type { Contribution } from './entry-table.js';
import { EntryTable } from './entry-table.js';
import { payloadSha256 } from './snapshot.js';
import type { SweepNetwork } from './sweep.js';
import { compareNetworks, sweep } from './sweep.js';
import { FLAG_NAMES } from './types.js';
import type { FlagName, IndexStats, SegmentArrays, SnapshotData, SourceStats } from './types.js';

export interface BuildOptions {
  weights?: Readonly<ScoreWeights>;
  /** Defaults to `<builtAt as YYYYMMDDTHHMMSSZ>-<first 8 hex of the payload sha256>`. */
  version?: string;
  builtAt?: Date;
  /** Drop every part of a feed network that lies in bogon space (default true). */
  clipBogons?: boolean;
}

/** Clipping networks sort before feed networks identical to them; they never contribute. */
const BOGON = -2;
const GLOBAL = -1;

interface Item<K extends number | bigint> extends SweepNetwork<K>, Contribution {
  signals: Signals[];
  /** Feed rows folded into this network (identical networks of one source). */
  rows: number;
  clipped: boolean;
}

const V4_END = 2 ** 32;
const V6_END = 1n << 128n;

/**
 * Compiles loaded feeds into disjoint segments (SPEC section 5): most specific network wins
 * within a source, sources merge per sub-range, bogon space is never answered.
 */
export function buildIndex(sources: readonly LoadedSource[], options: BuildOptions = {}): SnapshotData {
  const table = new EntryTable(
    sources.map((s) => s.name),
    options.weights ?? DEFAULT_SCORE_WEIGHTS,
    sources.map((s) => s.knownGood !== undefined),
  );
  const sourceStats: SourceStats[] = sources.map((s) => ({
    name: s.name,
    format: s.format,
    networksV4: 0,
    networksV6: 0,
    problems: s.problems.length,
    rangesV4: 0,
    rangesV6: 0,
    ...(s.knownGood ? { benign: { provider: s.knownGood.provider, clearedRangesV4: 0, clearedRangesV6: 0 } } : {}),
  }));

  const v4: Item<number>[] = [];
  const v6: Item<bigint>[] = [];
  sources.forEach((src, s) => {
    const stats = sourceStats[s]!;
    for (const entry of src.entries) {
      const net = entry.network;
      if (net.family === 4) {
        v4.push(itemV4(net, s, [entry.signals]));
        stats.networksV4++;
      } else {
        v6.push(itemV6(net, s, [entry.signals]));
        stats.networksV6++;
      }
    }
  });
  if (options.clipBogons ?? true) addClipping(v4, v6);

  const cutV4 = new Cutter<number>(table, sources.length);
  const segV4 = cutV4.run(foldDuplicates(v4, table, sortV4), 0, V4_END);
  const cutV6 = new Cutter<bigint>(table, sources.length);
  const segV6 = cutV6.run(foldDuplicates(v6, table, (items) => items.sort(compareNetworks)), 0n, V6_END);

  const data: SnapshotData = {
    version: '',
    builtAt: options.builtAt ?? new Date(),
    stats: collectStats(table, sourceStats, segV4, segV6, cutV4.clippedRows + cutV6.clippedRows),
    entries: table.entries,
    v4: packV4(segV4),
    v6: packV6(segV6),
  };
  data.version = options.version ?? defaultVersion(data.builtAt, payloadSha256(data));
  return data;
}

export function defaultVersion(builtAt: Date, sha256Hex: string): string {
  const stamp = builtAt.toISOString().slice(0, 19).replace(/[-:]/g, '');
  return `${stamp}Z-${sha256Hex.slice(0, 8)}`;
}

// Host bits are cleared again here: a network built by hand (say by a binary feed reader) with
// them set would overlap its neighbours partly and break the nesting the sweep relies on.
function itemV4(net: Network & { family: 4 }, source: number, signals: Signals[]): Item<number> {
  const size = 2 ** (32 - net.prefix);
  const first = Math.floor(net.first / size) * size;
  return { first, end: first + size, prefix: net.prefix, order: source, source, signals, signalsId: -1, rows: 1, clipped: false };
}

function itemV6(net: Network & { family: 6 }, source: number, signals: Signals[]): Item<bigint> {
  const size = 1n << BigInt(128 - net.prefix);
  const first = net.first & ~(size - 1n);
  return { first, end: first + size, prefix: net.prefix, order: source, source, signals, signalsId: -1, rows: 1, clipped: false };
}

function addClipping(v4: Item<number>[], v6: Item<bigint>[]): void {
  const add = (cidr: string, kind: number): void => {
    const net = parseNetwork(cidr);
    if (net.family === 4) v4.push(itemV4(net, kind, []));
    else v6.push(itemV6(net, kind, []));
  };
  for (const cidr of [...BOGON_V4_CIDRS, ...BOGON_V6_CIDRS]) add(cidr, BOGON);
  for (const cidr of GLOBAL_EXCEPTION_CIDRS) add(cidr, GLOBAL);
}

/**
 * compareNetworks order for IPv4 through numeric keys: sorting an index array by a Float64Array
 * of keys is about ten times faster than sorting a million objects with a comparator.
 */
function sortV4(items: Item<number>[]): void {
  const keys = new Float64Array(items.length);
  const order = new Int32Array(items.length);
  items.forEach((item, i) => {
    keys[i] = item.first * 64 + item.prefix;
    order[i] = item.order;
  });
  const positions = new Uint32Array(items.length).map((_, i) => i);
  positions.sort((a, b) => keys[a]! - keys[b]! || order[a]! - order[b]!);
  const copy = items.slice();
  positions.forEach((p, i) => {
    items[i] = copy[p]!;
  });
}

/** Sorts for the sweep and folds identical networks of one source into one item. */
function foldDuplicates<K extends number | bigint>(items: Item<K>[], table: EntryTable, sort: (items: Item<K>[]) => void): Item<K>[] {
  sort(items);
  const out: Item<K>[] = [];
  for (const item of items) {
    const last = out[out.length - 1];
    if (last?.source === item.source && last.first === item.first && last.prefix === item.prefix) {
      last.signals.push(...item.signals);
      last.rows += item.rows;
    } else {
      out.push(item);
    }
  }
  for (const item of out) if (item.source >= 0) item.signalsId = table.signalsId(item.source, item.signals);
  return out;
}

interface Segments<K> {
  starts: K[];
  entryIds: number[];
  prefixes: number[];
}

/** Turns swept intervals into coalesced segments for one family. */
class Cutter<K extends number | bigint> {
  clippedRows = 0;
  private readonly table: EntryTable;
  private readonly seen: Int32Array;
  private generation = 0;
  private readonly winners: Item<K>[] = [];
  private readonly out: Segments<K> = { starts: [], entryIds: [], prefixes: [] };

  constructor(table: EntryTable, sourceCount: number) {
    this.table = table;
    this.seen = new Int32Array(sourceCount);
  }

  run(sorted: readonly Item<K>[], spaceStart: K, spaceEnd: K): Segments<K> {
    sweep(sorted, spaceStart, spaceEnd, (start, stack, depth) => {
      this.visit(start, stack, depth);
    });
    return this.out;
  }

  private visit(start: K, stack: readonly Item<K>[], depth: number): void {
    const winners = this.winners;
    winners.length = 0;
    this.generation++;
    let maskSeen = false;
    let bogon = false;
    // Top down: the first network met of each source is its most specific one here, and the
    // first clipping network met is the innermost, so a global exception beats its bogon.
    for (let k = depth - 1; k >= 0; k--) {
      const item = stack[k]!;
      if (item.source < 0) {
        if (!maskSeen) bogon = item.source === BOGON;
        maskSeen = true;
      } else if (this.seen[item.source] !== this.generation) {
        this.seen[item.source] = this.generation;
        winners.push(item);
      }
    }
    if (bogon) {
      this.markClipped(stack, depth);
      this.push(start, -1, 0);
      return;
    }
    if (winners.length === 0) {
      this.push(start, -1, 0);
      return;
    }
    if (winners.length > 1) winners.sort((a, b) => b.prefix - a.prefix || a.source - b.source);
    this.push(start, this.table.resolve(winners), winners[0]!.prefix);
  }

  /** Every feed network open here, not just the most specific ones, loses this part. */
  private markClipped(stack: readonly Item<K>[], depth: number): void {
    for (let k = 0; k < depth; k++) {
      const item = stack[k]!;
      if (item.source >= 0 && !item.clipped) {
        item.clipped = true;
        this.clippedRows += item.rows;
      }
    }
  }

  private push(start: K, entryId: number, prefix: number): void {
    const out = this.out;
    const n = out.entryIds.length;
    if (n > 0 && out.entryIds[n - 1] === entryId && out.prefixes[n - 1] === prefix) return;
    out.starts.push(start);
    out.entryIds.push(entryId);
    out.prefixes.push(prefix);
  }
}

function packV4(seg: Segments<number>): SegmentArrays {
  return {
    starts: Uint32Array.from(seg.starts),
    entryIds: Int32Array.from(seg.entryIds),
    prefixes: Uint8Array.from(seg.prefixes),
  };
}

function packV6(seg: Segments<bigint>): SegmentArrays {
  const starts = new Uint32Array(seg.starts.length * 4);
  seg.starts.forEach((start, i) => {
    starts[i * 4] = Number((start >> 96n) & 0xffffffffn);
    starts[i * 4 + 1] = Number((start >> 64n) & 0xffffffffn);
    starts[i * 4 + 2] = Number((start >> 32n) & 0xffffffffn);
    starts[i * 4 + 3] = Number(start & 0xffffffffn);
  });
  return { starts, entryIds: Int32Array.from(seg.entryIds), prefixes: Uint8Array.from(seg.prefixes) };
}

function collectStats(
  table: EntryTable,
  sources: SourceStats[],
  v4: Segments<number>,
  v6: Segments<bigint>,
  bogonNetworksClipped: number,
): IndexStats {
  const flags = Object.fromEntries(FLAG_NAMES.map((f) => [f, { rangesV4: 0, rangesV6: 0, addressesV4: 0 }])) as IndexStats['flags'];
  const entryFlags: FlagName[][] = table.entries.map((e) => FLAG_NAMES.filter((f) => e.security[f]));
  let rangesV4 = 0;
  let rangesV6 = 0;
  v4.entryIds.forEach((id, i) => {
    if (id < 0) return;
    rangesV4++;
    const size = (v4.starts[i + 1] ?? V4_END) - v4.starts[i]!;
    const cleared = table.clearedEntries.has(id);
    for (const s of table.entrySources[id]!) {
      const stats = sources[s]!;
      stats.rangesV4++;
      if (cleared && stats.benign) stats.benign.clearedRangesV4++;
    }
    for (const f of entryFlags[id]!) {
      flags[f].rangesV4++;
      flags[f].addressesV4 += size;
    }
  });
  v6.entryIds.forEach((id) => {
    if (id < 0) return;
    rangesV6++;
    const cleared = table.clearedEntries.has(id);
    for (const s of table.entrySources[id]!) {
      const stats = sources[s]!;
      stats.rangesV6++;
      if (cleared && stats.benign) stats.benign.clearedRangesV6++;
    }
    for (const f of entryFlags[id]!) flags[f].rangesV6++;
  });
  return { rangesV4, rangesV6, entries: table.entries.length, sources, flags, bogonNetworksClipped };
}
