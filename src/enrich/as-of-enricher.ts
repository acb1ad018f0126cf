import { eventTimeMs } from '../alerts/event-time.js';
import type { IpExtractionConfig } from '../config/schema.js';
import type { SnapshotHistory } from '../history/snapshot-history.js';
import type { RangeIndex } from '../range-index/types.js';
import { Enricher } from './enricher.js';
import type { EnrichedEvent, EventKind } from './enricher.js';
import type { EventEnricher } from './event-enricher.js';

export interface AsOfEnricherOptions {
  history: SnapshotHistory;
  extraction: IpExtractionConfig;
  clock?: () => number;
}

/**
 * As-of enrichment: each event is judged by the snapshot of a history that was in force at the
 * event's own time (alerts/event-time.ts reads it). A batch is split by snapshot, each part
 * enriched against its snapshot by an ordinary Enricher (unique addresses once per part), and
 * the answers put back in input order; snapshots are loaded one at a time, those already loaded
 * first. Events older than the history are judged by its oldest snapshot and marked stale;
 * events without a usable time by its newest. No remote fallback: a remote provider knows only
 * the present, and the index's max age means nothing for a past event.
 */
export class AsOfEnricher implements EventEnricher {
  private readonly history: SnapshotHistory;
  private readonly extraction: IpExtractionConfig;
  private readonly clock: () => number;
  /** Keyed by the loaded snapshot: an enricher goes when the history's LRU lets its snapshot go. */
  private readonly enrichers = new WeakMap<RangeIndex, Enricher>();

  constructor(options: AsOfEnricherOptions) {
    this.history = options.history;
    this.extraction = options.extraction;
    this.clock = options.clock ?? Date.now;
  }

  async enrich(
    events: readonly Record<string, unknown>[],
    kinds?: readonly (EventKind | undefined)[],
    timesMs?: readonly (number | null)[],
  ): Promise<EnrichedEvent[]> {
    const n = events.length;
    if (n === 0) return [];
    const history = this.history;
    const startMs = history.startMs;
    const positions = new Int32Array(n);
    const stale = new Uint8Array(n);
    let mixed = false;
    for (let i = 0; i < n; i++) {
      const t = timesMs === undefined ? eventTimeMs(events[i]!) : (timesMs[i] ?? null);
      positions[i] = history.positionAt(t);
      if (t !== null && t < startMs) stale[i] = 1;
      if (positions[i] !== positions[0]) mixed = true;
    }

    let out: EnrichedEvent[];
    if (!mixed) out = await this.enrichAt(positions[0]!, events, kinds);
    else {
      const groups = new Map<number, number[]>();
      for (let i = 0; i < n; i++) {
        const members = groups.get(positions[i]!);
        if (members === undefined) groups.set(positions[i]!, [i]);
        else members.push(i);
      }
      out = new Array<EnrichedEvent>(n);
      for (const position of history.loadOrder(groups.keys())) {
        const members = groups.get(position)!;
        const part = await this.enrichAt(
          position,
          members.map((i) => events[i]!),
          kinds === undefined ? undefined : members.map((i) => kinds[i]),
        );
        members.forEach((i, k) => (out[i] = part[k]!));
      }
    }
    for (let i = 0; i < n; i++) {
      if (stale[i] === 0) continue;
      const enrichment = out[i]!.enrichment;
      // Only an index judgement can be stale; private and invalid addresses were never looked up.
      if (enrichment.source === 'index' || enrichment.source === 'none') enrichment.stale = true;
    }
    return out;
  }

  private async enrichAt(position: number, events: readonly Record<string, unknown>[], kinds?: readonly (EventKind | undefined)[]): Promise<EnrichedEvent[]> {
    const index = await this.history.load(position);
    let enricher = this.enrichers.get(index);
    if (enricher === undefined) {
      enricher = new Enricher({ index: { current: index }, extraction: this.extraction, maxIndexAgeSecs: 0, clock: this.clock });
      this.enrichers.set(index, enricher);
    }
    return enricher.enrich(events, kinds);
  }
}
