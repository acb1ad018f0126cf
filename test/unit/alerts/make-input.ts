import type { AlertInput } from '../../../src/alerts/types.js';
import type { Signals } from '../../../src/security/record.js';
import { mergeSignals } from '../../../src/security/score.js';

export interface InputOptions {
  event?: Record<string, unknown>;
  kind?: AlertInput['kind'];
  ip?: string;
  signals?: Signals[];
  enrichmentSource?: string;
  eventTimeMs?: number | null;
  offset?: string | number;
  partition?: number;
  topic?: string;
}

/** An enriched event as the enricher hands it over, with the security record the index would build. */
export function makeInput(options: InputOptions = {}): AlertInput {
  return {
    event: options.event ?? {},
    kind: options.kind ?? 'auth',
    ip: options.ip ?? '198.51.100.7',
    security: mergeSignals(options.signals ?? []),
    enrichmentSource: options.enrichmentSource ?? 'index',
    eventTimeMs: options.eventTimeMs ?? null,
    source: {
      topic: options.topic ?? 'auth-events',
      partition: options.partition ?? 0,
      offset: String(options.offset ?? 1),
    },
  };
}
