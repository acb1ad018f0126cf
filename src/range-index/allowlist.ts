import type { AllowlistEntry } from '../config/allowlist.js';
import { KNOWN_GOOD_SIGNALS } from '../feeds/known-good.js';
import type { LoadedSource } from '../feeds/types.js';
import type { Ipv6Words } from '../ip/address.js';
import { parseNetworks } from '../ip/network.js';
import { copySecurity, emptySecurity } from '../security/record.js';
import type { ScoreWeights } from '../security/score.js';
import { clearKnownGood } from '../security/score.js';
import { buildIndex } from './build.js';
import { CompiledRangeIndex, toEntry } from './range-index.js';
import type { IndexEntry, IndexMatch, IndexStats, RangeIndex } from './types.js';

/** Provenance name of an allowlist: `allowlist:<name>`, apart from any index source's name. */
export const ALLOWLIST_SOURCE_PREFIX = 'allowlist:';

/**
 * The config's allowlist compiled as a little index of its own (each list a benign source),
 * or undefined when it is empty. Overlapping lists merge as sources do.
 */
export function compileAllowlist(list: readonly AllowlistEntry[]): CompiledRangeIndex | undefined {
  if (list.length === 0) return undefined;
  const sources: LoadedSource[] = list.map((allow) => ({
    name: `${ALLOWLIST_SOURCE_PREFIX}${allow.name}`,
    format: 'netset',
    file: 'allowlist',
    entries: allow.cidrs.flatMap((cidr) => parseNetworks(cidr).map((network) => ({ network, signals: KNOWN_GOOD_SIGNALS }))),
    problems: [],
    bytes: 0,
    knownGood: { provider: allow.name },
  }));
  return new CompiledRangeIndex(buildIndex(sources, { version: 'allowlist', builtAt: new Date(0) }));
}

const prefixOf = (network: string): number => Number(network.slice(network.lastIndexOf('/') + 1));

/**
 * An index seen through the operator's allowlist (SPEC section 12, known-good networks): inside
 * an allowlisted network the answer loses is_bot, is_spam and is_known_attacker, is scored again
 * from what remains, and names the list among its sources; an allowlisted address the index does
 * not hold is answered from the index (all defaults) instead of going to a remote provider.
 * Outside, the index's own answer object is returned. Only built when the allowlist has entries,
 * so an empty one costs the lookups nothing.
 */
export class AllowlistedIndex implements RangeIndex {
  readonly version: string;
  readonly builtAt: Date;
  readonly validFrom: Date;
  /** The index's, with the allowlists appended to its sources (benign, for provenance). */
  readonly stats: IndexStats;
  private readonly base: RangeIndex;
  private readonly allow: CompiledRangeIndex;
  private readonly weights: Readonly<ScoreWeights>;
  /** Combined answers by (index entry, allowlist entry), made on first use: there are at most
   * (index entries + 1) x allowlist entries of them. */
  private readonly combined = new Map<number, IndexEntry>();

  constructor(base: RangeIndex, allow: CompiledRangeIndex, weights: Readonly<ScoreWeights>) {
    this.base = base;
    this.allow = allow;
    this.weights = weights;
    this.version = base.version;
    this.builtAt = base.builtAt;
    this.validFrom = base.validFrom;
    this.stats = { ...base.stats, sources: [...base.stats.sources, ...allow.stats.sources] };
  }

  findV4(value: number): IndexEntry | undefined {
    const allowed = this.allow.findV4(value);
    const entry = this.base.findV4(value);
    return allowed === undefined ? entry : this.combine(entry, allowed);
  }

  findV6(words: Ipv6Words): IndexEntry | undefined {
    const allowed = this.allow.findV6(words);
    const entry = this.base.findV6(words);
    return allowed === undefined ? entry : this.combine(entry, allowed);
  }

  matchV4(value: number): IndexMatch | undefined {
    if (this.allow.findV4(value) === undefined) return this.base.matchV4(value);
    return this.combineMatch(this.base.matchV4(value), this.allow.matchV4(value)!);
  }

  matchV6(words: Ipv6Words): IndexMatch | undefined {
    if (this.allow.findV6(words) === undefined) return this.base.matchV6(words);
    return this.combineMatch(this.base.matchV6(words), this.allow.matchV6(words)!);
  }

  /** The matched network is the more specific of the index's and the allowlist's. */
  private combineMatch(match: IndexMatch | undefined, allowed: IndexMatch): IndexMatch {
    const entry = this.combine(match?.entry, allowed.entry);
    const network = match !== undefined && prefixOf(match.network) > prefixOf(allowed.network) ? match.network : allowed.network;
    return { entry, network };
  }

  private combine(entry: IndexEntry | undefined, allowed: IndexEntry): IndexEntry {
    const key = (entry === undefined ? 0 : entry.id + 1) * this.allow.entries.length + allowed.id;
    let out = this.combined.get(key);
    if (out === undefined) {
      const security = entry === undefined ? emptySecurity() : clearKnownGood(copySecurity(entry.security), this.weights);
      out = toEntry(this.base.stats.entries + this.combined.size, { security, sources: [...(entry?.sources ?? []), ...allowed.sources] });
      this.combined.set(key, out);
    }
    return out;
  }
}

/**
 * What run, serve, enrich, replay and lookup answer from, given the index they loaded: the index
 * itself when the allowlist is empty, else the index seen through it. Compiled once, applied to
 * every snapshot loaded or reloaded.
 */
export function allowlistView(list: readonly AllowlistEntry[], weights: Readonly<ScoreWeights>): (index: RangeIndex) => RangeIndex {
  const allow = compileAllowlist(list);
  if (allow === undefined) return (index) => index;
  return (index) => new AllowlistedIndex(index, allow, weights);
}
