import type avro from 'avsc';
import { boundedType, decodeBounded } from './avro/bounded-read.js';
import type { Registry, WriterLookup, WriterSchema } from './registry.js';
import { MAGIC_BYTE } from './registry.js';

export type InputFormat = 'json' | 'avro' | 'auto';

/** Closed list of reasons a record goes to the DLQ (the `reason` metric label). */
export const DLQ_REASONS = [
  'oversize',
  'empty',
  'json_invalid',
  'json_not_object',
  'avro_unframed',
  'avro_unknown_schema',
  'avro_corrupt',
] as const;
export type DlqReason = (typeof DLQ_REASONS)[number];

export type Decoded =
  | { ok: true; format: 'json'; event: Record<string, unknown> }
  | { ok: true; format: 'avro'; event: Record<string, unknown>; writer: WriterSchema }
  | { ok: false; reason: DlqReason; message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(reason: DlqReason, message: string): Decoded {
  return { ok: false, reason, message };
}

function decodeJson(value: Buffer): Decoded {
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return fail('json_invalid', 'value is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return fail('json_invalid', `value is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return fail('json_not_object', `value is JSON but not an object (${parsed === null ? 'null' : Array.isArray(parsed) ? 'array' : typeof parsed})`);
  }
  return { ok: true, format: 'json', event: parsed as Record<string, unknown> };
}

/** Writer types compiled for bounded reads (avro/bounded-read.ts), once per writer schema. */
const boundedWriters = new WeakMap<WriterSchema, avro.Type>();

function readerFor(writer: WriterSchema): avro.Type {
  let type = boundedWriters.get(writer);
  if (!type) {
    type = boundedType(writer.json as avro.Schema);
    boundedWriters.set(writer, type);
  }
  return type;
}

/** Writer schemas by id, as the registry answered them for one batch. */
export type WriterLookups = ReadonlyMap<number, WriterLookup>;

function decodeAvro(value: Buffer, registry: Registry | undefined, writers: WriterLookups): Decoded {
  if (value.length < 5 || value[0] !== MAGIC_BYTE) return fail('avro_unframed', 'value does not start with the Confluent magic byte 0 and a schema id');
  const id = value.readUInt32BE(1);
  if (!registry) return fail('avro_unknown_schema', `schema id ${id}: no schema registry is configured`);
  const writer = writers.get(id);
  if (writer === undefined) throw new Error(`schema id ${id} was not looked up before decoding`);
  if ('unknown' in writer) return fail('avro_unknown_schema', writer.unknown);
  try {
    const event = decodeBounded(readerFor(writer), value.subarray(5)) as Record<string, unknown>;
    return { ok: true, format: 'avro', event, writer };
  } catch (err) {
    return fail('avro_corrupt', `value does not decode with schema id ${id}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** How a value is read: before any decoding, the empty and oversize ones are refused. */
function readAs(value: Buffer | null, format: InputFormat, maxBytes: number): 'json' | 'avro' | DlqReason {
  if (value === null || value.length === 0) return 'empty';
  if (value.length > maxBytes) return 'oversize';
  if (format === 'json') return 'json';
  if (format === 'avro' || value[0] === MAGIC_BYTE) return 'avro';
  return 'json';
}

/**
 * The writer schema of every schema id among `values` that will be read as Avro, each asked of
 * the registry once. Registry outages reject: they are not the records' fault, so the batch is
 * retried rather than dead-lettered.
 */
export async function lookUpWriters(
  values: Iterable<Buffer | null>,
  format: InputFormat,
  registry: Registry | undefined,
  maxBytes: number,
): Promise<WriterLookups> {
  const writers = new Map<number, WriterLookup>();
  if (!registry || format === 'json') return writers;
  const ids = new Set<number>();
  for (const value of values) {
    if (value !== null && value.length >= 5 && value[0] === MAGIC_BYTE && readAs(value, format, maxBytes) === 'avro') ids.add(value.readUInt32BE(1));
  }
  await Promise.all([...ids].map(async (id) => writers.set(id, await registry.writer(id))));
  return writers;
}

/**
 * Turns a record value into an event, or into the reason it goes to the DLQ (SPEC section 3).
 * `auto` reads a value framed as Confluent Avro (magic byte 0, which no JSON text starts
 * with) as Avro, anything else as JSON. The writer schemas come from lookUpWriters on the same
 * values, so decoding is synchronous.
 */
export function decodeWith(value: Buffer | null, format: InputFormat, registry: Registry | undefined, writers: WriterLookups, maxBytes: number): Decoded {
  const as = readAs(value, format, maxBytes);
  if (as === 'json') return decodeJson(value!);
  if (as === 'avro') return decodeAvro(value!, registry, writers);
  if (as === 'empty') return fail('empty', 'record has no value (tombstone or empty)');
  return fail('oversize', `value is ${value!.length} bytes, over the ${maxBytes}-byte limit`);
}

/** decodeWith for one value, its writer schema looked up first. */
export async function decodeValue(value: Buffer | null, format: InputFormat, registry: Registry | undefined, maxBytes: number): Promise<Decoded> {
  return decodeWith(value, format, registry, await lookUpWriters([value], format, registry, maxBytes), maxBytes);
}
