import { eventTimeMs } from '../alerts/event-time.js';
import type { AlertInput, AlertSource } from '../alerts/types.js';
import type { EventKind } from '../enrich/enricher.js';
import type { SecurityRecord } from '../security/record.js';
import type { RuleMatch } from './chunk-enricher.js';

/**
 * A matched event as the alert engine's stateful half sees it. Its time and provenance are
 * read only when an alert is built or suppression consulted, and then once: reading the time
 * parses a timestamp (a regular expression and a Date.UTC).
 */
export class FileAlertInput implements AlertInput {
  readonly event: Record<string, unknown>;
  readonly kind: EventKind;
  readonly ip: string;
  readonly security: SecurityRecord;
  readonly enrichmentSource: string;
  private readonly topic: string;
  private readonly line: number;
  private time: number | null | undefined = undefined;
  private origin: AlertSource | undefined = undefined;

  /** `line`: the 1-based line number in the file `topic` names. */
  constructor(match: RuleMatch, topic: string, line: number) {
    this.event = match.event;
    this.kind = match.kind;
    this.ip = match.ip;
    this.security = match.security;
    this.enrichmentSource = match.enrichmentSource;
    this.topic = topic;
    this.line = line;
  }

  get eventTimeMs(): number | null {
    if (this.time === undefined) this.time = eventTimeMs(this.event);
    return this.time;
  }

  get source(): AlertSource {
    this.origin ??= { topic: this.topic, partition: 0, offset: String(this.line) };
    return this.origin;
  }
}
