import type { Alert } from '../alerts/types.js';
import type { EnrichedEvent } from '../enrich/enricher.js';
import { enrichedLine } from '../file-mode/serialize.js';
import { bundledSchema } from './avro/bundled.js';
import { enrichedJsonSchema, enrichedSchemaFor } from './avro/enriched-schema.js';
import { JsonRecordConverter } from './avro/json-record.js';
import type { OutputSchema, Registry, WriterSchema } from './registry.js';
import { frame } from './registry.js';

export type OutputFormat = 'avro' | 'json';

/**
 * Encodes enriched events and alerts for their output topics. Avro values use the subject
 * `<topic>-value` (TopicNameStrategy): for Avro input, the writer schema extended by
 * `security` and `enrichment`, registered and compiled once per (schema id, topic); for JSON
 * input, the bundled Enriched*Event schema of the input's kind.
 */
export class OutputEncoder {
  private readonly forAvro = new Map<string, Promise<OutputSchema>>();
  private readonly forJson = new Map<string, Promise<OutputSchema>>();
  private readonly converters = {
    access: new JsonRecordConverter(enrichedJsonSchema('access')),
    auth: new JsonRecordConverter(enrichedJsonSchema('auth')),
  };
  private alertSchema: Promise<OutputSchema> | undefined;

  constructor(private readonly registry: Registry | undefined) {}

  private need(): Registry {
    if (!this.registry) throw new Error('Avro output needs schema_registry.url in the configuration');
    return this.registry;
  }

  private schemaForAvroInput(writer: WriterSchema, topic: string): Promise<OutputSchema> {
    const key = `${writer.id}\u0000${topic}`;
    let schema = this.forAvro.get(key);
    if (!schema) {
      schema = this.need().output(`${topic}-value`, enrichedSchemaFor(writer.json));
      this.forAvro.set(key, schema);
      schema.catch(() => this.forAvro.delete(key));
    }
    return schema;
  }

  private schemaForJsonInput(kind: 'access' | 'auth', topic: string): Promise<OutputSchema> {
    const key = `${kind}\u0000${topic}`;
    let schema = this.forJson.get(key);
    if (!schema) {
      schema = this.need().output(`${topic}-value`, enrichedJsonSchema(kind));
      this.forJson.set(key, schema);
      schema.catch(() => this.forJson.delete(key));
    }
    return schema;
  }

  async enriched(e: EnrichedEvent, writer: WriterSchema | undefined, topic: string, format: OutputFormat, recordTimestampMs: number): Promise<Buffer | string> {
    if (format === 'json') return enrichedLine(e);
    if (writer) {
      const schema = await this.schemaForAvroInput(writer, topic);
      return frame(schema, { ...e.event, security: e.security, enrichment: e.enrichment });
    }
    const schema = await this.schemaForJsonInput(e.kind, topic);
    const record = this.converters[e.kind].convert(e.event, { timestamp: recordTimestampMs });
    return frame(schema, { ...record, security: e.security, enrichment: e.enrichment });
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
