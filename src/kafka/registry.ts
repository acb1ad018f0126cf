import { Agent as HttpsAgent } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import avro from 'avsc';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Agent, fetch } from 'undici';
import type { Dispatcher } from 'undici';
import type { IpriskConfig } from '../config/schema.js';
import { resolveSecret } from './secrets.js';
import { tlsConnectionOptions } from './tls.js';
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
 * The Confluent-compatible schema registry, over its REST API (references through
 * @kafkajs/confluent-schema-registry).
 * Writer schemas are fetched once per id and concurrent fetches of one id share a request;
 * output schemas are registered once per (subject, schema). Records are framed here
 * (magic 0, 4-byte id, Avro body) so encoding a record is synchronous.
 */
export class Registry {
  private readonly client: SchemaRegistry;
  private readonly writers = new Map<number, Promise<WriterLookup>>();
  private readonly outputs = new Map<string, Promise<OutputSchema>>();
  private readonly baseUrl: string;
  private readonly authorization: string | undefined;
  /** TLS settings for an https registry with a private CA or mutual TLS; absent: Node's defaults. */
  private readonly dispatcher: Dispatcher | undefined;

  constructor(options: { url: string; username?: string; password?: string; tls?: ConnectionOptions }) {
    this.client = new SchemaRegistry({
      host: options.url,
      ...(options.username !== undefined ? { auth: { username: options.username, password: options.password ?? '' } } : {}),
      // The library's own requests (schemas with references) go through the same TLS settings.
      ...(options.tls !== undefined ? { agent: new HttpsAgent({ ...options.tls, keepAlive: true }) } : {}),
    });
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.authorization =
      options.username !== undefined ? `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}` : undefined;
    this.dispatcher = options.tls !== undefined ? new Agent({ connect: options.tls }) : undefined;
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

  /**
   * The writer schema as the registry holds it (GET /schemas/ids/{id}), so the output schema
   * built from it keeps the writer's defaults, docs, aliases and logical types: the client
   * library's parsed form drops all of those. Schemas with references are the exception: the
   * library resolves and inlines them (keeping defaults and docs, not logical types).
   */
  private async fetchWriter(id: number): Promise<WriterLookup> {
    const response = await registryRequest(this.baseUrl, this.authorization, this.dispatcher, 'GET', `/schemas/ids/${id}`);
    if (response.status === 404 || response.status === 422) return { unknown: `schema id ${id} is not in the registry` };
    if (!response.ok) throw Object.assign(new Error(`the schema registry failed to return schema id ${id}: HTTP ${response.status} ${response.text.slice(0, 500)}`), { status: response.status });
    let raw: { schema?: unknown; schemaType?: unknown; references?: unknown };
    let json: unknown;
    try {
      raw = JSON.parse(response.text) as typeof raw;
      json = JSON.parse(String(raw.schema));
    } catch (err) {
      return { unknown: `schema id ${id} is not a readable schema: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (raw.schemaType !== undefined && raw.schemaType !== 'AVRO') return { unknown: `schema id ${id} is a ${JSON.stringify(raw.schemaType)} schema, not Avro` };
    if (Array.isArray(raw.references) && raw.references.length > 0) {
      let schema: unknown;
      try {
        schema = await this.client.getSchema(id);
      } catch (err) {
        const status = statusOf(err);
        if (status === 404 || status === 422) return { unknown: `schema id ${id} or a schema it references is not in the registry` };
        throw err;
      }
      json = (schema as { schema?: (options: { exportAttrs: boolean }) => unknown }).schema?.({ exportAttrs: true });
    }
    if (!isRecord(json)) return { unknown: `schema id ${id} is not an Avro record schema` };
    return { id, json, type: avro.Type.forSchema(json as avro.Schema) };
  }

  /** Registers `schema` under `subject` (idempotent in the registry) and compiles it once. */
  output(subject: string, schema: AvroRecord): Promise<OutputSchema> {
    const key = `${subject}\u0000${JSON.stringify(schema)}`;
    let pending = this.outputs.get(key);
    if (!pending) {
      pending = (async () => ({ id: await this.register(subject, schema), type: avro.Type.forSchema(schema as avro.Schema) }))();
      this.outputs.set(key, pending);
      pending.catch(() => this.outputs.delete(key));
    }
    return pending;
  }

  private register(subject: string, schema: AvroRecord): Promise<number> {
    return postSchema(this.baseUrl, this.authorization, this.dispatcher, subject, schema);
  }
}

/** One call to the Confluent-compatible REST API; a network failure rejects with its socket error code on top. */
async function registryRequest(
  baseUrl: string,
  authorization: string | undefined,
  dispatcher: Dispatcher | undefined,
  method: 'GET' | 'POST',
  apiPath: string,
  body?: unknown,
): Promise<{ ok: boolean; status: number; text: string }> {
  try {
    const response = await fetch(`${baseUrl}${apiPath}`, {
      method,
      headers: {
        accept: 'application/vnd.schemaregistry.v1+json',
        ...(body !== undefined ? { 'content-type': 'application/vnd.schemaregistry.v1+json' } : {}),
        ...(authorization !== undefined ? { authorization } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS),
      ...(dispatcher !== undefined ? { dispatcher } : {}),
    });
    return { ok: response.ok, status: response.status, text: await response.text() };
  } catch (err) {
    // fetch hides the socket error in `cause`; the network code goes on top so the batch
    // processor sees an outage (retry the batch) rather than a bad record.
    const cause = (err as { cause?: { code?: unknown } }).cause;
    const code = typeof cause?.code === 'string' ? cause.code : err instanceof Error && err.name === 'TimeoutError' ? 'ETIMEDOUT' : 'ECONNRESET';
    throw Object.assign(new Error(`the schema registry did not answer ${method} ${apiPath}: ${err instanceof Error ? err.message : String(err)}`), { code, cause: err });
  }
}

/** A registry that stops answering fails the batch (which is retried) rather than hanging it. */
const REGISTRY_TIMEOUT_MS = 30_000;

/**
 * POST /subjects/{subject}/versions, nothing else. Not the client library's register(): that
 * one demands the subject's compatibility be BACKWARD (a subject that exists with any other
 * level, such as Apicurio's default NONE, fails every registration, and every record with
 * it) and sets BACKWARD on a new subject, which then refuses the second record type of an
 * enriched topic shared by access and auth inputs. The subject's policy is the operator's.
 * Failures carry the HTTP status, so they count as registry trouble and the batch is retried.
 */
async function postSchema(baseUrl: string, authorization: string | undefined, dispatcher: Dispatcher | undefined, subject: string, schema: AvroRecord): Promise<number> {
  const response = await registryRequest(baseUrl, authorization, dispatcher, 'POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema: JSON.stringify(schema) });
  const text = response.text;
  if (!response.ok) {
    throw Object.assign(new Error(`the schema registry refused a schema for subject ${subject}: HTTP ${response.status} ${text.slice(0, 500)}`), { status: response.status });
  }
  let id: unknown;
  try {
    id = (JSON.parse(text) as { id?: unknown }).id;
  } catch {
    id = undefined;
  }
  if (typeof id !== 'number' || !Number.isInteger(id)) {
    throw Object.assign(new Error(`the schema registry answered a registration under ${subject} without an id: ${text.slice(0, 200)}`), { status: response.status });
  }
  return id;
}

/** The registry client of the `schema_registry` section, secrets and TLS files resolved; undefined without one. */
export function registryFromConfig(config: IpriskConfig['schema_registry'], baseDir: string): Registry | undefined {
  if (config === undefined) return undefined;
  return new Registry({
    url: config.url,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: resolveSecret(config.password, 'schema_registry.password', baseDir) } : {}),
    ...(config.tls?.enabled ? { tls: tlsConnectionOptions(config.tls, 'schema_registry.tls', baseDir) } : {}),
  });
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
