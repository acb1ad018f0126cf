import type { Ipv6Words } from '../ip/address.js';
import { formatIPv4, formatIPv6 } from '../ip/address.js';
import type { IndexEntry, IndexMatch, IndexStats, RangeIndex, SegmentArrays, SnapshotData, SnapshotEntry } from './types.js';

/** Jump tables index segments by the top 16 bits of an address (IPv6: of its first word). */
const JUMP_SLOTS = 65_537;

/**
 * jump[h] = number of segments whose start lies below h << 16 (of the top word), so the segment
 * holding an address whose top 16 bits are h is found between jump[h] - 1 and jump[h + 1] - 1:
 * a binary search over one /16's slice instead of the whole table.
 */
function jumpTable(starts: Uint32Array, stride: number): Uint32Array {
  const jump = new Uint32Array(JUMP_SLOTS);
  const count = starts.length / stride;
  let seg = 0;
  for (let h = 0; h < JUMP_SLOTS; h++) {
    while (seg < count && starts[seg * stride]! >>> 16 < h) seg++;
    jump[h] = seg;
  }
  return jump;
}

/** 2^36: bits 111..96 of an IPv6 address shifted above the 36 bits that follow them. */
const TWO_POW_36 = 68_719_476_736;

/**
 * Bits 111..60 of an IPv6 address (the 16 below the jump table's and the next 36) as one exact
 * double: within a jump-table slice, segments are told apart by one number compare instead of
 * up to four word compares. On the real feeds, 15,000 of 51,000 IPv6 segments share one first
 * word (one /32 split into many networks), where the word compares went on to the second word
 * at every step.
 */
function keyV6(w0: number, w1: number, w2: number): number {
  return (w0 & 0xffff) * TWO_POW_36 + w1 * 16 + (w2 >>> 28);
}

function keysV6(starts: Uint32Array): Float64Array {
  const keys = new Float64Array(starts.length / 4);
  for (let i = 0; i < keys.length; i++) keys[i] = keyV6(starts[i * 4]!, starts[i * 4 + 1]!, starts[i * 4 + 2]!);
  return keys;
}

/** Answers are shared by every caller: frozen so that no caller can change another's. */
export function toEntry(id: number, e: SnapshotEntry): IndexEntry {
  Object.freeze(e.security.proxy_provider_names);
  Object.freeze(e.security.vpn_provider_names);
  return Object.freeze({
    id,
    security: Object.freeze(e.security),
    sources: Object.freeze(e.sources),
    securityJson: JSON.stringify(e.security),
  });
}

/**
 * The loaded index over typed arrays (layout: types.ts SegmentArrays). Every answer object is
 * built here once; lookups only search and index.
 */
export class CompiledRangeIndex implements RangeIndex {
  readonly version: string;
  readonly builtAt: Date;
  /** When the snapshot takes effect (as-of enrichment): its stamp, else its build time. */
  readonly validFrom: Date;
  readonly stats: IndexStats;
  readonly entries: readonly IndexEntry[];
  private readonly v4Starts: Uint32Array;
  private readonly v4Ids: Int32Array;
  private readonly v4Prefixes: Uint8Array;
  private readonly v4Jump: Uint32Array;
  private readonly v6Starts: Uint32Array;
  private readonly v6Ids: Int32Array;
  private readonly v6Prefixes: Uint8Array;
  private readonly v6Jump: Uint32Array;
  /** keyV6 of each IPv6 segment start. */
  private readonly v6Keys: Float64Array;

  /** The arrays are used as given, not copied: a snapshot's views stay zero-copy. */
  constructor(data: SnapshotData) {
    this.version = data.version;
    this.builtAt = data.builtAt;
    this.validFrom = data.validFrom ?? data.builtAt;
    this.stats = data.stats;
    this.entries = data.entries.map((e, id) => toEntry(id, e));
    this.v4Starts = data.v4.starts;
    this.v4Ids = data.v4.entryIds;
    this.v4Prefixes = data.v4.prefixes;
    this.v4Jump = jumpTable(data.v4.starts, 1);
    this.v6Starts = data.v6.starts;
    this.v6Ids = data.v6.entryIds;
    this.v6Prefixes = data.v6.prefixes;
    this.v6Jump = jumpTable(data.v6.starts, 4);
    this.v6Keys = keysV6(data.v6.starts);
  }

  get segmentsV4(): SegmentArrays {
    return { starts: this.v4Starts, entryIds: this.v4Ids, prefixes: this.v4Prefixes };
  }

  get segmentsV6(): SegmentArrays {
    return { starts: this.v6Starts, entryIds: this.v6Ids, prefixes: this.v6Prefixes };
  }

  /** `value` is the unsigned 32-bit address (parseIPv4's result). */
  findV4(value: number): IndexEntry | undefined {
    const id = this.v4Ids[this.segmentV4(value)]!;
    return id < 0 ? undefined : this.entries[id];
  }

  findV6(words: Ipv6Words): IndexEntry | undefined {
    const id = this.v6Ids[this.segmentV6(words[0] >>> 0, words[1] >>> 0, words[2] >>> 0, words[3] >>> 0)]!;
    return id < 0 ? undefined : this.entries[id];
  }

  matchV4(value: number): IndexMatch | undefined {
    const seg = this.segmentV4(value);
    const id = this.v4Ids[seg]!;
    if (id < 0) return undefined;
    const prefix = this.v4Prefixes[seg]!;
    const size = 2 ** (32 - prefix);
    const first = Math.floor(value / size) * size;
    return { entry: this.entries[id]!, network: `${formatIPv4(first)}/${prefix}` };
  }

  matchV6(words: Ipv6Words): IndexMatch | undefined {
    const w: Ipv6Words = [words[0] >>> 0, words[1] >>> 0, words[2] >>> 0, words[3] >>> 0];
    const seg = this.segmentV6(w[0], w[1], w[2], w[3]);
    const id = this.v6Ids[seg]!;
    if (id < 0) return undefined;
    const prefix = this.v6Prefixes[seg]!;
    for (let k = 0; k < 4; k++) {
      const keep = Math.max(0, Math.min(32, prefix - 32 * k));
      w[k] = keep === 0 ? 0 : (w[k]! & (0xffffffff << (32 - keep))) >>> 0;
    }
    return { entry: this.entries[id]!, network: `${formatIPv6(w)}/${prefix}` };
  }

  private segmentV4(value: number): number {
    const starts = this.v4Starts;
    const h = value >>> 16;
    let lo = this.v4Jump[h]!;
    let hi = this.v4Jump[h + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  private segmentV6(w0: number, w1: number, w2: number, w3: number): number {
    const h = w0 >>> 16;
    const first = this.v6Jump[h]!;
    let lo = first;
    let hi = this.v6Jump[h + 1]!;
    // The first segment whose key (bits 111..60) is above the address's: every segment before
    // it starts at or below the address, save those that share its key.
    const keys = this.v6Keys;
    const key = keyV6(w0, w1, w2);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! <= key) lo = mid + 1;
      else hi = mid;
    }
    if (lo === first || keys[lo - 1]! < key) return lo - 1;
    // Segments inside the address's own /68: the full compare decides among them.
    return this.segmentV6Exact(first, lo, w0, w1, w2, w3);
  }

  /** The last segment of [from, to) starting at or below the address, else from - 1. */
  private segmentV6Exact(from: number, to: number, w0: number, w1: number, w2: number, w3: number): number {
    const s = this.v6Starts;
    let lo = from;
    let hi = to;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const b = mid * 4;
      const s0 = s[b]!;
      let atOrBelow: boolean;
      if (s0 !== w0) atOrBelow = s0 < w0;
      else if (s[b + 1] !== w1) atOrBelow = s[b + 1]! < w1;
      else if (s[b + 2] !== w2) atOrBelow = s[b + 2]! < w2;
      else atOrBelow = s[b + 3]! <= w3;
      if (atOrBelow) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}
