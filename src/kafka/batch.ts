import type { AlertEngine } from '../alerts/engine.js';
import type { RetroAlerts } from '../alerts/retro.js';
import type { Alert } from '../alerts/types.js';
import { eventTimeMs } from '../alerts/event-time.js';
import type { EnrichedEvent } from '../enrich/enricher.js';
import type { EventEnricher } from '../enrich/event-enricher.js';
import { errorMessage } from '../errors.js';
import type { DlqReason, InputFormat } from './decode.js';
import { decodeWith, lookUpWriters } from './decode.js';
import { dlqRecord } from './dlq.js';
import type { OutputEncoder, OutputFormat } from './output-encoder.js';
import type { InRecord, OutRecord } from './records.js';
import { alertRecord } from './records.js';
import type { Registry, WriterSchema } from './registry.js';

/** How one input topic is read and enriched. */
export interface InputRoute {
  topic: string;
  kind: 'access' | 'auth';
  format: InputFormat;
  enricher: EventEnricher;
  /** Where its enriched records go. */
  enrichedTopic: string;
}

export interface BatchOutputs {
  enrichedFormat: OutputFormat;
  alertsTopic: string;
  alertsFormat: OutputFormat;
  dlqTopic: string;
  maxRecordBytes: number;
}

/** Everything one input batch produces, in input order per output topic. */
export interface ProducePlan {
  records: OutRecord[];
  /** The offset to commit: the last record's offset + 1. */
  nextOffset: string;
  enrichedBySource: Map<string, number>;
  dlqByReason: Map<DlqReason | 'encode_failed', number>;
  alerts: { rule: string; severity: string }[];
  /** Event time (or record time) of each enriched record, for end-to-end latency. */
  eventTimesMs: number[];
  uniqueIps: number;
  /** Seconds spent in each stage of processing, for the stage histogram. */
  stages: { decode: number; enrich: number; encode: number };
}

/**
 * The per-batch pipeline, free of the Kafka client: decode every record (or route it to the
 * DLQ with its reason), enrich the decodable ones together (unique IPs once), evaluate the
 * alert rules and encode every output. The caller produces the plan and commits `nextOffset`
 * only once every record of the plan is acknowledged.
 */
export class BatchProcessor {
  constructor(
    private readonly outputs: BatchOutputs,
    private readonly registry: Registry | undefined,
    private readonly encoder: OutputEncoder,
    private readonly alerts: AlertEngine,
    /** Remembers the batch's addresses for retro-alerts, when they are on. */
    private readonly retro?: Pick<RetroAlerts, 'observe'>,
  ) {}

  async process(route: InputRoute, partition: number, records: readonly InRecord[]): Promise<ProducePlan> {
    const source = { topic: route.topic, partition };
    const plan: ProducePlan = {
      records: [],
      nextOffset: records.length > 0 ? (BigInt(records.at(-1)!.offset) + 1n).toString() : '0',
      enrichedBySource: new Map(),
      dlqByReason: new Map(),
      alerts: [],
      eventTimesMs: [],
      uniqueIps: 0,
      stages: { decode: 0, enrich: 0, encode: 0 },
    };
    let mark = performance.now();
    const lap = (stage: keyof ProducePlan['stages']): void => {
      const now = performance.now();
      plan.stages[stage] += (now - mark) / 1000;
      mark = now;
    };
    const { maxRecordBytes } = this.outputs;
    // The registry is asked once per batch (per schema id); each record then decodes synchronously.
    const writers = await lookUpWriters(
      records.map((r) => r.value),
      route.format,
      this.registry,
      maxRecordBytes,
    );
    const events: Record<string, unknown>[] = [];
    const origin: { record: InRecord; writer: WriterSchema | undefined }[] = [];
    // Output order follows input order: DLQ copies are planned where their record stood.
    const slots: (OutRecord | number)[] = [];
    for (const record of records) {
      const d = decodeWith(record.value, route.format, this.registry, writers, maxRecordBytes);
      if (d.ok) {
        slots.push(events.length);
        events.push(d.event);
        origin.push({ record, writer: d.format === 'avro' ? d.writer : undefined });
      } else {
        slots.push(dlqRecord(this.outputs.dlqTopic, source, record, d.reason, d.message));
        plan.dlqByReason.set(d.reason, (plan.dlqByReason.get(d.reason) ?? 0) + 1);
      }
    }

    // Each event's time, read once: an as-of enricher picks its snapshot by it, and alerts,
    // retro-alerts and the end-to-end latency use it too. A record's own timestamp stands in.
    const timesMs = events.map((event, i) => eventTimeMs(event) ?? Number(origin[i]!.record.timestamp));
    lap('decode');
    const enriched = await route.enricher.enrich(events, new Array<'access' | 'auth'>(events.length).fill(route.kind), timesMs);
    plan.uniqueIps = new Set(enriched.map((e) => e.enrichment.ip)).size;
    lap('enrich');
    // Output schemas too are resolved once per batch, so the loop below never waits.
    const encoding = await this.encoder.forBatch(
      route.enrichedTopic,
      this.outputs.enrichedFormat,
      origin.map((o, i) => o.writer ?? enriched[i]!.kind),
    );
    const alerts: Alert[] = [];
    const encodedEvents: OutRecord[] = [];
    // Retro-alerts remember only what live alerts considered: not the events dead-lettered here.
    const observed = this.retro ? { events: [] as EnrichedEvent[], timesMs: [] as number[], offsets: [] as string[] } : undefined;
    for (let i = 0; i < enriched.length; i++) {
      const e = enriched[i]!;
      const { record, writer } = origin[i]!;
      const recordTime = Number(record.timestamp);
      const timeMs = timesMs[i]!;
      try {
        const value = encoding.encode(e, writer, recordTime);
        encodedEvents.push({ topic: route.enrichedTopic, key: record.key, value, headers: record.headers ?? {} });
        plan.enrichedBySource.set(e.enrichment.source, (plan.enrichedBySource.get(e.enrichment.source) ?? 0) + 1);
        plan.eventTimesMs.push(timeMs);
      } catch (err) {
        if (isRegistryOutage(err)) throw err;
        encodedEvents.push(dlqRecord(this.outputs.dlqTopic, source, record, 'encode_failed', errorMessage(err)));
        plan.dlqByReason.set('encode_failed', (plan.dlqByReason.get('encode_failed') ?? 0) + 1);
        continue;
      }
      this.alertsFor(e, source, record, timeMs, alerts);
      observed?.events.push(e);
      observed?.timesMs.push(timeMs);
      observed?.offsets.push(record.offset);
    }
    if (observed) this.retro?.observe(source, observed.events, observed.timesMs, observed.offsets);
    for (const slot of slots) plan.records.push(typeof slot === 'number' ? encodedEvents[slot]! : slot);
    for (const alert of alerts) {
      plan.alerts.push({ rule: alert.rule, severity: alert.severity });
      plan.records.push(alertRecord(alert, this.outputs.alertsTopic, await this.encoder.alert(alert, this.outputs.alertsTopic, this.outputs.alertsFormat)));
    }
    lap('encode');
    return plan;
  }

  /** The alerts an enriched event raises, added to `out` in rule order. */
  private alertsFor(e: EnrichedEvent, source: { topic: string; partition: number }, record: InRecord, eventTime: number, out: Alert[]): void {
    if (e.security === null || e.enrichment.ip === null) return;
    const alerts = this.alerts.evaluate({
      event: e.event,
      kind: e.kind,
      ip: e.enrichment.ip,
      security: e.security,
      enrichmentSource: e.enrichment.source,
      eventTimeMs: eventTime,
      source: { ...source, offset: record.offset },
    });
    for (const alert of alerts) out.push(alert);
  }
}

/** Registry outages and network errors are not a record's fault: the batch is retried. */
function isRegistryOutage(err: unknown): boolean {
  if (typeof (err as { status?: unknown } | null)?.status === 'number') return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONN|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|UND_ERR)/.test(code);
}
