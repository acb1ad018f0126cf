import type { Signals } from '../security/record.js';
import type { ScoreWeights } from '../security/score.js';
import { KNOWN_GOOD_CLEARS, mergeSignals } from '../security/score.js';
import type { SnapshotEntry } from './types.js';

/** What one source says about the most specific of its networks holding an interval. */
export interface Contribution {
  source: number;
  /** Every row the source gave for that network (feeds such as Azure repeat prefixes). */
  signals: readonly Signals[];
  /** Interned (source, signals) pair: equal ids say the same thing. */
  signalsId: number;
}

/**
 * The distinct answers of an index. Thousands of ranges share one answer (every Tor exit, every
 * AWS prefix of one service), so answers are merged once per distinct set of contributions and
 * deduplicated by their merged content.
 */
export class EntryTable {
  readonly entries: SnapshotEntry[] = [];
  /** Source indices (config order) of each entry, for per-source statistics. */
  readonly entrySources: (readonly number[])[] = [];
  private readonly weights: Readonly<ScoreWeights>;
  private readonly sourceNames: readonly string[];
  private readonly signalIds = new Map<string, number>();
  /** Feeds usually hand one signals object to many rows: identity skips re-serialising it. */
  private readonly signalIdentity: Map<Signals, number>[];
  private readonly byContributions = new Map<string, number>();
  private readonly byAnswer = new Map<string, number>();

  /** Per source (config order): whether it lists known-good networks (SPEC section 12). */
  private readonly knownGood: readonly boolean[];
  /** Entries whose range a known-good source cleared of an abuse flag another source gave. */
  readonly clearedEntries = new Set<number>();

  constructor(sourceNames: readonly string[], weights: Readonly<ScoreWeights>, knownGood: readonly boolean[] = []) {
    this.sourceNames = sourceNames;
    this.weights = weights;
    this.knownGood = knownGood;
    this.signalIdentity = sourceNames.map(() => new Map<Signals, number>());
  }

  signalsId(source: number, signals: readonly Signals[]): number {
    const single = signals.length === 1 ? signals[0] : undefined;
    const identity = this.signalIdentity[source]!;
    if (single) {
      const known = identity.get(single);
      if (known !== undefined) return known;
    }
    const key = `${source}\u0000${JSON.stringify(signals)}`;
    let id = this.signalIds.get(key);
    if (id === undefined) {
      id = this.signalIds.size;
      this.signalIds.set(key, id);
    }
    if (single) identity.set(single, id);
    return id;
  }

  /** `contributions` ordered most specific first, then config order (SPEC section 5). */
  resolve(contributions: readonly Contribution[]): number {
    let key = '';
    for (const c of contributions) key += `${c.signalsId},`;
    const cached = this.byContributions.get(key);
    if (cached !== undefined) return cached;

    const signals: Signals[] = [];
    for (const c of contributions) signals.push(...c.signals);
    const knownGood = contributions.some((c) => this.knownGood[c.source] === true);
    const security = mergeSignals(signals, this.weights, { knownGood });
    const cleared = knownGood && signals.some((s) => KNOWN_GOOD_CLEARS.some((flag) => s[flag] === true));
    const sourceIndices = [...new Set(contributions.map((c) => c.source))].sort((a, b) => a - b);
    // Whether flags were cleared is part of the answer's identity, so that the per-source count
    // of cleared ranges (index inspect) counts exactly the ranges where it happened.
    const answerKey = `${JSON.stringify(security)}\u0000${sourceIndices.join(',')}\u0000${cleared}`;
    let id = this.byAnswer.get(answerKey);
    if (id === undefined) {
      id = this.entries.length;
      this.entries.push({ security, sources: sourceIndices.map((s) => this.sourceNames[s]!) });
      this.entrySources.push(sourceIndices);
      this.byAnswer.set(answerKey, id);
    }
    if (cleared) this.clearedEntries.add(id);
    this.byContributions.set(key, id);
    return id;
  }
}
