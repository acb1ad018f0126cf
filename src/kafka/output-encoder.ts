import type { Alert } from '../alerts/types.js';
import type { EnrichedEvent, EventKind } from '../enrich/enricher.js';
import { enrichedLine } from '../file-mode/serialize.js';
import { bundledSchema } from './avro/bundled.js';
import { enrichedJsonSchema, enrichedSchemaFor } from './avro/enriched-schema.js';
import { EnrichedWriter } from './avro/enriched-writer.js';
import { JsonRecordConverter } from './avro/json-record.js';
import { ValueArena } from './avro/value-arena.js';
import type { Registry, WriterSchema } from './registry.js';
import { frame } from './registry.js';

export type OutputFormat = 'avro' | 'json';

/** Where an enriched record's schema comes from: the Avro input's writer schema, or the JSON input's kind. */
export type EnrichedInput = WriterSchema | EventKind;

/** The enriched records of one batch, encoded synchronously: every schema they need is resolved. */
export interface EnrichedEncoding {
  /** The value of `e`; throws when it does not fit its schema or its schema could not be had (the registry's error). */
  encode(e: EnrichedEvent, writer: WriterSchema | undefined, recordTimestampMs: number): Buffer | string;
}

const JSON_ENCODING: EnrichedEncoding = { encode: (e) => enrichedLine(e) };

type Resolved = EnrichedWriter | { failed: unknown };

/**
 * Encodes enriched events and alerts for their output topics. Avro values use the subject
 * `<topic>-value` (TopicNameStrategy): for Avro input, the writer schema extended by
 * `security` and `enrichment`, registered and compiled once per (schema id, topic); for JSON
 * input, the bundled Enriched*Event schema of the input's kind.
 */
export class OutputEncoder {
  private readonly writers = new Map<string, Promise<EnrichedWriter>>();
  private readonly converters = {
    access: new JsonRecordConverter(enrichedJsonSchema('access')),
    auth: new JsonRecordConverter(enrichedJsonSchema('auth')),
  };
  private readonly arena = new ValueArena();
  private alertSchema: ReturnType<Registry['output']> | undefined;

  constructor(private readonly registry: Registry | undefined) {}

  private need(): Registry {
    if (!this.registry) throw new Error('Avro output needs schema_registry.url in the configuration');
    return this.registry;
  }

  /** The writer of `topic`'s enriched records from `input`, registered once; a failure is forgotten so the next batch asks again. */
  private writerFor(input: EnrichedInput, topic: string): Promise<EnrichedWriter> {
    const key = typeof input === 'string' ? `json\u0000${input}\u0000${topic}` : `avro\u0000${input.id}\u0000${topic}`;
    let pending = this.writers.get(key);
    if (!pending) {
      pending = (async () => {
        const schema = typeof input === 'string' ? enrichedJsonSchema(input) : enrichedSchemaFor(input.json);
        const output = await this.need().output(`${topic}-value`, schema);
        return new EnrichedWriter(output.id, schema, output.type);
      })();
      this.writers.set(key, pending);
      pending.catch(() => this.writers.delete(key));
    }
    return pending;
  }

  /**
   * Resolves, once for a batch, the schema of every input its enriched records come from, so
   * that encoding each record is synchronous. Never rejects: a schema that could not be had
   * fails the records that need it, with the registry's error.
   */
  async forBatch(topic: string, format: OutputFormat, inputs: Iterable<EnrichedInput>): Promise<EnrichedEncoding> {
    if (format === 'json') return JSON_ENCODING;
    const resolved = new Map<EnrichedInput, Resolved>();
    await Promise.all(
      [...new Set(inputs)].map(async (input) => {
        try {
          resolved.set(input, await this.writerFor(input, topic));
        } catch (err) {
          resolved.set(input, { failed: err });
        }
      }),
    );
    const { arena, converters } = this;
    // One object for every record's fallback rather than one per record.
    const fallbacks = { timestamp: 0 };
    return {
      encode(e, writer, recordTimestampMs) {
        const r = resolved.get(writer ?? e.kind);
        if (r === undefined) throw new Error(`no output schema was resolved for ${writer ? `schema id ${writer.id}` : `${e.kind} events`}`);
        if (!(r instanceof EnrichedWriter)) throw r.failed;
        fallbacks.timestamp = recordTimestampMs;
        const fields = writer ? e.event : converters[e.kind].convert(e.event, fallbacks);
        return r.write(arena, fields, e.security, e.enrichment);
      },
    };
  }

  async alert(alert: Alert, topic: string, format: OutputFormat): Promise<Buffer | string> {
    if (format === 'json') return JSON.stringify(alert);
    this.alertSchema ??= this.need().output(`${topic}-value`, bundledSchema('Alert'));
    try {
      return frame(await this.alertSchema, alert);
    } catch (err) {
      this.alertSchema = undefined;
      throw err;
    }
  }
}
