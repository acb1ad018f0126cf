import type { Enrichment, EnrichedEvent } from '../enrich/enricher.js';

function enrichmentJson(e: Enrichment, versionJson: string): string {
  return (
    `{"ip":${e.ip === null ? 'null' : JSON.stringify(e.ip)},"source":"${e.source}",` +
    `"matched_network":${e.matched_network === null ? 'null' : JSON.stringify(e.matched_network)},` +
    `"index_version":${versionJson},"enriched_at":${e.enriched_at},"stale":${e.stale}}`
  );
}

/**
 * One enriched JSONL line: the input object with every field kept, plus `security` and
 * `enrichment` (replacing fields of those names). The security JSON is spliced in from the
 * index entry's precomputed text rather than re-serialised per event (pino's trick).
 */
export function enrichedLine(e: EnrichedEvent, versionJson = JSON.stringify(e.enrichment.index_version)): string {
  let event = e.event;
  if ('security' in event || 'enrichment' in event) {
    const { security: _s, enrichment: _e, ...rest } = event;
    event = rest;
  }
  const base = JSON.stringify(event);
  const head = base.length === 2 ? '{' : `${base.slice(0, -1)},`;
  return `${head}"security":${e.securityJson},"enrichment":${enrichmentJson(e.enrichment, versionJson)}}`;
}
