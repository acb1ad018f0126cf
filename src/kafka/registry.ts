import avro from 'avsc';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { AvroRecord } from './avro/schema-types.js';
import { isRecord } from './avro/schema-types.js';

/** A writer schema of an input record, compiled once per schema id. */
export interface WriterSchema {
  id: number;
  json: AvroRecord;
  type: avro.Type;
}

/** An output schema registered under its subject, compiled once. */
export interface OutputSchema {
  id: number;
  type: avro.Type;
}

export type WriterLookup = WriterSchema | { unknown: string };

function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * The Confluent-compatible schema registry, through @kafkajs/confluent-schema-registry.
 * Writer schemas are fetched once per id and concurrent fetches of one id share a request;
 * output schemas are registered once per (subject, schema). Records are framed here
 * (magic 0, 4-byte id, Avro body) so encoding a record is synchronous.
 */
export class Registry {
  private readonly client: SchemaRegistry;
  private readonly writers = new Map<number, Promise<WriterLookup>>();
  private readonly outputs = new Map<string, Promise<OutputSchema>>();

  constructor(options: { url: string; username?: string; password?: string }) {
    this.client = new SchemaRegistry({
      host: options.url,
      ...(options.username !== undefined ? { auth: { username: options.username, password: options.password ?? '' } } : {}),
    });
  }

  /** The writer schema of an id, or why it cannot be had (unknown id, not an Avro record).
   * Registry outages reject: the batch is retried, never dead-lettered. */
  writer(id: number): Promise<WriterLookup> {
    let pending = this.writers.get(id);
    if (!pending) {
      pending = this.fetchWriter(id);
      this.writers.set(id, pending);
      // A failed fetch (outage) is forgotten so the next batch asks again.
      pending.catch(() => this.writers.delete(id));
    }
    return pending;
  }

  private async fetchWriter(id: number): Promise<WriterLookup> {
    let schema: unknown;
    try {
      schema = await this.client.getSchema(id);
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 422) return { unknown: `schema id ${id} is not in the registry` };
      throw err;
    }
    const json: unknown = (schema as { schema?: () => unknown }).schema?.();
    if (!isRecord(json)) return { unknown: `schema id ${id} is not an Avro record schema` };
    return { id, json, type: avro.Type.forSchema(json as avro.Schema) };
  }

  /** Registers `schema` under `subject` (idempotent in the registry) and compiles it once. */
  output(subject: string, schema: AvroRecord): Promise<OutputSchema> {
    const key = `${subject}\u0000${JSON.stringify(schema)}`;
    let pending = this.outputs.get(key);
    if (!pending) {
      pending = (async () => {
        const { id } = await this.client.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
        return { id, type: avro.Type.forSchema(schema as avro.Schema) };
      })();
      this.outputs.set(key, pending);
      pending.catch(() => this.outputs.delete(key));
    }
    return pending;
  }
}

export const MAGIC_BYTE = 0;

/** Confluent wire format: magic byte 0, schema id as 4-byte big-endian, then the Avro body. */
export function frame(schema: OutputSchema, value: unknown): Buffer {
  const body = schema.type.toBuffer(value);
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schema.id, 1);
  body.copy(out, 5);
  return out;
}
