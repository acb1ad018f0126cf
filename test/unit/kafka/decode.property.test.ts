import avro from 'avsc';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledSchema } from '../../../src/kafka/avro/bundled.js';
import { enrichedJsonSchema } from '../../../src/kafka/avro/enriched-schema.js';
import type { Decoded, InputFormat } from '../../../src/kafka/decode.js';
import { DLQ_REASONS, decodeValue } from '../../../src/kafka/decode.js';
import { DLQ_HEADERS, dlqRecord } from '../../../src/kafka/dlq.js';
import { Registry } from '../../../src/kafka/registry.js';
import { accessEventRecord, authEventRecord, avroLong } from '../../helpers/arbitraries.js';
import type { MemoryRegistry } from '../../helpers/memory-registry.js';
import { startMemoryRegistry } from '../../helpers/memory-registry.js';
import { params, timeoutMs } from '../../helpers/property.js';

/**
 * Record values of every kind, valid and not, through decodeValue: it never throws, answers
 * within a bound, and each failure is the one reason of the closed DLQ list that SPEC section 3
 * gives for it:
 * - no value or zero bytes: `empty`; more than the limit: `oversize`;
 * - JSON (format json, or auto and a first byte other than 0): not UTF-8 or not JSON text:
 *   `json_invalid`; JSON but not an object: `json_not_object`;
 * - Avro (format avro, or auto and first byte 0): under 5 bytes or no magic byte 0:
 *   `avro_unframed`; an id the registry does not hold: `avro_unknown_schema`; a body that does
 *   not decode with the writer schema: `avro_corrupt`.
 * A valid body decodes to the record written; a random body that decodes must re-encode to
 * the same bytes (so "ok" is never a guess).
 */

const ARRAYS_AND_MAPS = {
  type: 'record',
  name: 'Tagged',
  namespace: 'test',
  fields: [
    { name: 'ip', type: ['null', 'string'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'counts', type: { type: 'map', values: 'long' } },
    { name: 'hops', type: { type: 'array', items: { type: 'array', items: 'int' } } },
  ],
};

/** Schema ids the registry holds, and the writer schema of each. */
const WRITERS: Record<number, unknown> = {
  1: bundledSchema('AccessEvent'),
  2: bundledSchema('AuthEvent'),
  3: enrichedJsonSchema('access'),
  4: ARRAYS_AND_MAPS,
};
const TYPES = new Map(Object.entries(WRITERS).map(([id, s]) => [Number(id), avro.Type.forSchema(s as avro.Schema)]));
const UNKNOWN_IDS = [0, 5, 6, 999, 2 ** 31, 2 ** 32 - 1];

let memory: MemoryRegistry;
let registry: Registry;

beforeAll(async () => {
  memory = await startMemoryRegistry();
  for (const [id, schema] of Object.entries(WRITERS)) memory.put(Number(id), schema);
  registry = new Registry({ url: memory.url });
});

afterAll(async () => {
  await memory.close();
});

function framed(id: number, body: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(id, 1);
  out.set(body, 5);
  return out;
}

const taggedRecord = fc.record({
  ip: fc.option(fc.string(), { nil: null }),
  tags: fc.array(fc.string({ maxLength: 8 }), { maxLength: 5 }),
  counts: fc.dictionary(fc.string({ maxLength: 6 }), avroLong, { maxKeys: 4 }),
  hops: fc.array(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 3 }), { maxLength: 3 }),
});

/** A valid body of one of the known writer schemas, with its id and record. */
const validAvro = fc.oneof(
  accessEventRecord.map((r) => [1, r] as const),
  authEventRecord.map((r) => [2, r] as const),
  taggedRecord.map((r) => [4, r] as const),
);

/** Block counts avsc would loop over: varints with continuation bits, up to 2^34 items. */
const hugeCount = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 0x7f }), fc.boolean())
  .map(([continuation, last, negative]) => [...Array<number>(continuation).fill(0x80 | (negative ? 0x01 : 0x00)), last]);

type Case =
  | { kind: 'null' }
  | { kind: 'bytes'; value: Buffer }
  | { kind: 'valid-avro'; value: Buffer; record: unknown }
  | { kind: 'broken-avro'; value: Buffer };

const utf8 = new TextEncoder();

const cases: fc.Arbitrary<Case> = fc.oneof(
  fc.constant<Case>({ kind: 'null' }),
  fc.constant<Case>({ kind: 'bytes', value: Buffer.alloc(0) }),
  // Random bytes, short and long, sometimes starting with the magic byte.
  fc.uint8Array({ maxLength: 64 }).map((b): Case => ({ kind: 'bytes', value: Buffer.from(b) })),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean()).map(([b, magic]): Case => {
    const value = Buffer.from(b);
    if (magic) value[0] = 0;
    return { kind: 'bytes', value };
  }),
  // JSON texts of every type, objects most often, with and without white space.
  fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 6 }), accessEventRecord, authEventRecord)
    .chain((v) => fc.tuple(fc.constant(JSON.stringify(v)), fc.constantFrom('', ' ', '\n', '\t ')))
    .map(([text, ws]): Case => ({ kind: 'bytes', value: Buffer.from(utf8.encode(ws + text + ws)) })),
  // JSON objects cut short, or with bytes that are not UTF-8 spliced in.
  fc.tuple(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1, maxKeys: 4 }), fc.nat(), fc.constantFrom([0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x00]))
    .map(([obj, at, bad]): Case => {
      const text = Buffer.from(JSON.stringify(obj));
      const i = 1 + (at % (text.length - 1));
      return { kind: 'bytes', value: at % 2 ? text.subarray(0, i) : Buffer.concat([text.subarray(0, i), Buffer.from(bad), text.subarray(i)]) };
    }),
  // Framed Avro: valid bodies, then the same cut short, with trailing bytes, or under unknown ids.
  validAvro.map(([id, record]): Case => ({ kind: 'valid-avro', value: framed(id, TYPES.get(id)!.toBuffer(record)), record })),
  fc.tuple(validAvro, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([[id, record], at, extra]): Case => {
    const body = TYPES.get(id)!.toBuffer(record);
    return at % 2 || body.length < 2
      ? { kind: 'broken-avro', value: framed(id, Buffer.concat([body, extra])) }
      : { kind: 'broken-avro', value: framed(id, body.subarray(0, at % body.length)) };
  }),
  fc.tuple(fc.constantFrom(...UNKNOWN_IDS), fc.uint8Array({ maxLength: 40 })).map(([id, b]): Case => ({ kind: 'bytes', value: framed(id, b) })),
  // Random bodies under known ids, some opening with block counts in the billions.
  fc.tuple(fc.constantFrom(1, 2, 3, 4), fc.option(hugeCount), fc.uint8Array({ maxLength: 80 })).map(([id, count, b]): Case => ({
    kind: 'bytes',
    value: framed(id, Buffer.concat([Buffer.from(id === 4 && count ? [0, ...count] : (count ?? [])), b])),
  })),
  // A frame too short to hold a schema id.
  fc.uint8Array({ maxLength: 4 }).map((b): Case => ({ kind: 'bytes', value: Buffer.concat([Buffer.from([0]), b]).subarray(0, Math.min(4, b.length + 1)) })),
);

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The reason SPEC section 3 gives, or 'ok' / 'ok-or-corrupt' when only decoding can tell. */
function expectedReason(value: Buffer | null, format: InputFormat, maxBytes: number, kind: Case['kind']): string {
  if (value === null || value.length === 0) return 'empty';
  if (value.length > maxBytes) return 'oversize';
  if (format === 'json' || (format === 'auto' && value[0] !== 0)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fatalUtf8.decode(value));
    } catch {
      return 'json_invalid';
    }
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? 'ok' : 'json_not_object';
  }
  if (value.length < 5 || value[0] !== 0) return 'avro_unframed';
  if (!TYPES.has(value.readUInt32BE(1))) return 'avro_unknown_schema';
  if (kind === 'valid-avro') return 'ok';
  if (kind === 'broken-avro') return 'avro_corrupt';
  return 'ok-or-corrupt';
}

const MAX_DECODE_MS = 2_000;

function checkDecoded(c: Case, format: InputFormat, maxBytes: number, got: Decoded, elapsedMs: number): void {
  const value = c.kind === 'null' ? null : c.value;
  const want = expectedReason(value, format, maxBytes, c.kind);
  const label = `${format} ${value === null ? 'null' : value.toString('hex').slice(0, 200)}`;
  if (elapsedMs > MAX_DECODE_MS) expect.fail(`${label}: decoding took ${Math.round(elapsedMs)} ms`);
  if (got.ok) {
    if (want !== 'ok' && want !== 'ok-or-corrupt') expect.fail(`${label}: decoded, but should be ${want}`);
    if (typeof got.event !== 'object' || Array.isArray(got.event)) expect.fail(`${label}: the event is not an object`);
    if (got.format === 'json') {
      expect(got.event, label).toEqual(JSON.parse(value!.toString('utf8')));
    } else {
      const type = TYPES.get(value!.readUInt32BE(1))!;
      if (c.kind === 'valid-avro') expect(got.event, label).toEqual(c.record);
      // "ok" for a random body means it really is one encoding of a record.
      else expect(type.toBuffer(got.event).equals(value!.subarray(5)), label).toBe(true);
    }
    return;
  }
  if (!(DLQ_REASONS as readonly string[]).includes(got.reason)) throw new Error(`${label}: reason ${got.reason} is not in the closed list`);
  if (got.reason !== want && !(want === 'ok-or-corrupt' && got.reason === 'avro_corrupt')) {
    expect.fail(`${label}: reason ${got.reason}, expected ${want} (${got.message})`);
  }
  // The dead letter keeps the value and says why.
  const dlq = dlqRecord('dlq', { topic: 'in', partition: 3 }, { offset: '7', key: null, value, headers: { h: 'x' }, timestamp: '0' }, got.reason, got.message);
  expect(dlq.value).toEqual(value ?? Buffer.alloc(0));
  expect(dlq.headers?.[DLQ_HEADERS.code]).toBe(got.reason);
  expect(dlq.headers?.h).toBe('x');
  expect(String(dlq.headers?.[DLQ_HEADERS.message]).length).toBeLessThanOrEqual(1003);
}

describe('decoding record values of every kind', () => {
  it(
    'never throws, and every value decodes or maps to its one DLQ reason',
    async () => {
      const seen = new Set<string>();
      await fc.assert(
        fc.asyncProperty(cases, fc.constantFrom<InputFormat>('json', 'avro', 'auto'), fc.constantFrom(16, 64, 1_000_000), async (c, format, maxBytes) => {
          const value = c.kind === 'null' ? null : c.value;
          const started = performance.now();
          const got = await decodeValue(value, format, registry, maxBytes);
          checkDecoded(c, format, maxBytes, got, performance.now() - started);
          seen.add(got.ok ? `ok ${got.format}` : got.reason);
        }),
        params(31, 20_000),
      );
      // The generators reach every outcome.
      expect([...seen].sort()).toEqual([...DLQ_REASONS, 'ok avro', 'ok json'].sort());
    },
    timeoutMs(10_000),
  );

  it('answers avro_unknown_schema without a registry, and never asks one for JSON', async () => {
    const before = memory.requests.get;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 5, maxLength: 40 }), async (b) => {
        const value = Buffer.from(b);
        value[0] = 0;
        const got = await decodeValue(value, 'avro', undefined, 1_000_000);
        expect(got).toMatchObject({ ok: false, reason: 'avro_unknown_schema' });
        const json = await decodeValue(value, 'json', registry, 1_000_000);
        expect(json).toMatchObject({ ok: false, reason: 'json_invalid' });
      }),
      params(32, 2_000),
    );
    expect(memory.requests.get).toBe(before);
  });
});

describe('a corrupt Avro value claiming billions of array items', () => {
  // Found by the property above: avsc loops over a block count it has not checked against the
  // bytes left. An array count of 80 80 80 40 took 24 s and 1 GB; 80 80 80 80 04 crashed the
  // process out of memory, stalling every partition of the consumer.
  it.each([
    // Each body opens with 00, the null branch of the `ip` union, then the array or map count.
    ['0080808040', 'an array of strings, count 2^26'],
    ['008080808004', 'an array of strings, count 2^33'],
    ['00008080808004', 'a map of longs after an empty array'],
    ['0000000280808080040000', 'an inner array of ints'],
    ['00818080800402', 'a negative (sized) block'],
  ])('is dead-lettered at once, not after a hang or an out-of-memory crash (%s: %s)', async (hex) => {
    const started = performance.now();
    const got = await decodeValue(framed(4, Buffer.from(hex, 'hex')), 'avro', registry, 1_000_000);
    expect(performance.now() - started).toBeLessThan(500);
    expect(got).toMatchObject({ ok: false, reason: 'avro_corrupt' });
  });

  it('still decodes real values with arrays and maps', async () => {
    const record = { ip: '2.56.188.34', tags: ['a', 'b', ''], counts: { x: 1, '': -5 }, hops: [[1, 2], [], [3]] };
    const got = await decodeValue(framed(4, TYPES.get(4)!.toBuffer(record)), 'avro', registry, 1_000_000);
    expect(got).toMatchObject({ ok: true, format: 'avro', event: record });
  });
});
