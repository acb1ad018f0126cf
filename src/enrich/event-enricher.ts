import type { EnrichedEvent, EventKind } from './enricher.js';

/**
 * What the file and Kafka pipelines call per batch: the Enricher (one index) and the
 * AsOfEnricher (the snapshot in force at each event's time) both fit it.
 */
export interface EventEnricher {
  /**
   * Output in input order. `timesMs`: each event's time (epoch ms, null when it has none) when
   * the caller has read it already; enrichers that need it read it themselves otherwise.
   */
  enrich(
    events: readonly Record<string, unknown>[],
    kinds?: readonly (EventKind | undefined)[],
    timesMs?: readonly (number | null)[],
  ): Promise<EnrichedEvent[]>;
}
