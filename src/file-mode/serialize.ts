import type { Enrichment, EnrichedEvent } from '../enrich/enricher.js';

/**
 * The `enrichment` object as JSON in two parts, before and after the value of `enriched_at`:
 * the time changes from batch to batch, the rest stays for as long as the answer does.
 * `index_version` is given as JSON text (it is the same for a batch).
 */
export function enrichmentParts(e: Omit<Enrichment, 'enriched_at'>, versionJson: string): [before: string, after: string] {
  return [
    `{"ip":${e.ip === null ? 'null' : JSON.stringify(e.ip)},"source":"${e.source}",` +
      `"matched_network":${e.matched_network === null ? 'null' : JSON.stringify(e.matched_network)},` +
      `"index_version":${versionJson},"enriched_at":`,
    `,"stale":${e.stale}}`,
  ];
}

/** The `enrichment` object as JSON, `index_version` given as JSON text. */
export function enrichmentJson(e: Enrichment, versionJson: string): string {
  const [before, after] = enrichmentParts(e, versionJson);
  return `${before}${e.enriched_at}${after}`;
}

/** The input object without fields of the names the enrichment writes. */
export function eventFields(event: Record<string, unknown>): Record<string, unknown> {
  if (!('security' in event) && !('enrichment' in event)) return event;
  const { security: _s, enrichment: _e, ...rest } = event;
  return rest;
}

/**
 * One enriched JSONL line: the input object with every field kept, plus `security` and
 * `enrichment` (replacing fields of those names). The security JSON is spliced in from the
 * index entry's precomputed text rather than re-serialised per event (pino's trick).
 */
export function enrichedLine(e: EnrichedEvent, versionJson = JSON.stringify(e.enrichment.index_version)): string {
  const base = JSON.stringify(eventFields(e.event));
  const head = base.length === 2 ? '{' : `${base.slice(0, -1)},`;
  return `${head}"security":${e.securityJson},"enrichment":${enrichmentJson(e.enrichment, versionJson)}}`;
}
