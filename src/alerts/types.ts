import type { SecurityRecord } from '../security/record.js';
import type { EventKind } from './fields.js';
import type { Severity } from './rules-schema.js';

/** Where an event was read from. `offset` is a string: Kafka offsets are int64; in file mode it
 * is the 1-based line number. */
export interface AlertSource {
  topic: string;
  partition: number;
  offset: string;
}

/** One enriched event with a security record; private and invalid addresses never get here. */
export interface AlertInput {
  event: Record<string, unknown>;
  kind: EventKind;
  ip: string;
  security: SecurityRecord;
  enrichmentSource: string;
  eventTimeMs: number | null;
  source: AlertSource;
}

/** SPEC section 4's `Alert` record; serialisers rely on this field order. */
export interface Alert {
  alert_id: string;
  rule: string;
  severity: Severity;
  summary: string;
  ip: string;
  threat_score: number;
  event_kind: EventKind;
  /** Epoch milliseconds, or null when the event carries no readable time. */
  event_time: number | null;
  source: AlertSource;
  security: SecurityRecord;
  /** Matches of this (rule, ip) suppressed since the previous alert for it. */
  suppressed_count: number;
}
