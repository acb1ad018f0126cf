import type { Ipv6Words } from '../ip/address.js';
import type { SecurityRecord } from '../security/record.js';

/** One distinct answer of the index: many ranges share it (every Tor exit, say). */
export interface IndexEntry {
  readonly id: number;
  readonly security: Readonly<SecurityRecord>;
  /** Names of the sources that contributed, in config order. */
  readonly sources: readonly string[];
  /** JSON.stringify(security), computed once at load: file mode splices it into output lines. */
  readonly securityJson: string;
}

export interface IndexMatch {
  entry: IndexEntry;
  /** The most specific network, among those the contributing sources listed, holding the address. */
  network: string;
}

export const FLAG_NAMES = [
  'is_tor',
  'is_proxy',
  'is_residential_proxy',
  'is_vpn',
  'is_relay',
  'is_anonymous',
  'is_known_attacker',
  'is_bot',
  'is_spam',
  'is_cloud_provider',
] as const;
export type FlagName = (typeof FLAG_NAMES)[number];

export interface SourceStats {
  name: string;
  format: string;
  /** Networks the feed listed (after splitting ranges into CIDRs), per family. */
  networksV4: number;
  networksV6: number;
  /** Lines or records reported and skipped. */
  problems: number;
  /** Index ranges this source contributes to, per family. */
  rangesV4: number;
  rangesV6: number;
  /** A source of known-good networks (meaning benign, SPEC section 12): the provider name it goes
   * by, and the ranges where it took is_bot, is_spam or is_known_attacker from other sources. */
  benign?: { provider: string; clearedRangesV4: number; clearedRangesV6: number };
}

export interface IndexStats {
  /** Disjoint ranges holding an answer, per family. */
  rangesV4: number;
  rangesV6: number;
  entries: number;
  sources: SourceStats[];
  /** Ranges carrying each flag, per family; addressesV4 counts IPv4 addresses covered. */
  flags: Record<FlagName, { rangesV4: number; rangesV6: number; addressesV4: number }>;
  /** Networks, or parts of them, dropped because they lie in bogon space. */
  bogonNetworksClipped: number;
}

/**
 * An immutable, loaded index. The find* methods are the hot path: no allocation, no bigint.
 * A running process swaps whole RangeIndex objects; it never mutates one.
 */
export interface RangeIndex {
  readonly version: string;
  readonly builtAt: Date;
  /** When the snapshot takes effect for as-of enrichment (its stamp, else its build time). */
  readonly validFrom: Date;
  readonly stats: IndexStats;
  findV4(value: number): IndexEntry | undefined;
  findV6(words: Ipv6Words): IndexEntry | undefined;
  matchV4(value: number): IndexMatch | undefined;
  matchV6(words: Ipv6Words): IndexMatch | undefined;
}

/**
 * Segments of one family, sorted by start: segment i covers starts[i] up to the next start
 * (or the end of the address space). starts[0] is always 0, so every address falls in exactly
 * one segment; a segment whose entry id is -1 is a gap. IPv6 starts take 4 words each, most
 * significant first.
 */
export interface SegmentArrays {
  starts: Uint32Array;
  entryIds: Int32Array;
  /** Prefix length of the most specific network that contributed (0 for gaps). */
  prefixes: Uint8Array;
}

export interface SnapshotEntry {
  security: SecurityRecord;
  /** In config order. */
  sources: string[];
}

/** The plain in-memory form of a compiled index: what the builder returns and a snapshot holds. */
export interface SnapshotData {
  version: string;
  builtAt: Date;
  /** When the snapshot takes effect (as-of enrichment); absent: from its build time. */
  validFrom?: Date;
  stats: IndexStats;
  entries: SnapshotEntry[];
  v4: SegmentArrays;
  v6: SegmentArrays;
}
