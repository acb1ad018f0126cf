import avro from 'avsc';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IP_FIELDS } from '../../../src/config/schema.js';
import type { EnrichedEvent } from '../../../src/enrich/enricher.js';
import { Enricher } from '../../../src/enrich/enricher.js';
import { parseClientIp } from '../../../src/ip/client-ip.js';
import { bundledSchema } from '../../../src/kafka/avro/bundled.js';
import { enrichedJsonSchema } from '../../../src/kafka/avro/enriched-schema.js';
import { JsonRecordConverter } from '../../../src/kafka/avro/json-record.js';
import type { EnrichedEncoding } from '../../../src/kafka/output-encoder.js';
import { OutputEncoder } from '../../../src/kafka/output-encoder.js';
import { Registry } from '../../../src/kafka/registry.js';
import type { WriterSchema } from '../../../src/kafka/registry.js';
import { accessEventRecord, authEventRecord } from '../../helpers/arbitraries.js';
import { indexOf, sourceOf } from '../../helpers/build-index.js';
import type { MemoryRegistry } from '../../helpers/memory-registry.js';
import { startMemoryRegistry } from '../../helpers/memory-registry.js';
import { params, timeoutMs } from '../../helpers/property.js';

/**
 * Enriched Avro records of random access and auth events, read back (SPEC section 3, README
 * "Output"): with the output schema they hold every input field unchanged plus the `security`
 * and `enrichment` the enricher computed; with the input's writer schema as reader (schema
 * evolution: avsc's reader.createResolver(writer)) they are exactly the input record, so
 * consumers of the input topic's schema can read the enriched topic. JSON input has no writer
 * schema: its output uses the bundled Enriched*Event schemas, which keep every field the schema
 * names and put the others in `extra` as JSON text.
 */

const index = indexOf([
  sourceOf('sample', [
    ['2.56.188.34', { is_proxy: true, is_residential_proxy: true, is_vpn: true, vpn_provider_names: ['Nord VPN'], is_known_attacker: true, is_cloud_provider: true, cloud_provider_name: 'Packethub S.A.' }],
    ['185.220.101.0/24', { is_tor: true }],
    ['1.0.0.0/24', { is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc.' }],
    ['2606:4700::/32', { is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc.' }],
    ['8.0.0.0/7', { is_bot: true, threat_score: 15 }],
  ]),
]);
const enricher = new Enricher({
  index: { current: index },
  extraction: { ip_fields: [...DEFAULT_IP_FIELDS], xff_field: 'x_forwarded_for', trusted_proxies: [] },
  clock: () => 1_795_421_356_789,
});

const KINDS = {
  access: { id: 1, schema: bundledSchema('AccessEvent'), ipField: 'client_ip' },
  auth: { id: 2, schema: bundledSchema('AuthEvent'), ipField: 'ip' },
} as const;

let memory: MemoryRegistry;
let encoder: OutputEncoder;
const writers = new Map<number, WriterSchema>();
const outputTypes = new Map<number, avro.Type>();

beforeAll(async () => {
  memory = await startMemoryRegistry();
  for (const k of Object.values(KINDS)) memory.put(k.id, k.schema);
  const registry = new Registry({ url: memory.url });
  encoder = new OutputEncoder(registry);
  for (const k of Object.values(KINDS)) {
    const w = await registry.writer(k.id);
    if ('unknown' in w) throw new Error(w.unknown);
    writers.set(k.id, w);
  }
});

afterAll(async () => {
  await memory.close();
});

/** The output schema the encoder registered for a frame, compiled once per id. */
function outputType(value: Buffer): avro.Type {
  expect(value[0]).toBe(0);
  const id = value.readUInt32BE(1);
  let type = outputTypes.get(id);
  if (!type) {
    const schema = memory.schema(id);
    expect(schema, `schema id ${id} was never registered`).toBeDefined();
    type = avro.Type.forSchema(schema as avro.Schema);
    outputTypes.set(id, type);
  }
  return type;
}

const readers = {
  access: avro.Type.forSchema(KINDS.access.schema as avro.Schema),
  auth: avro.Type.forSchema(KINDS.auth.schema as avro.Schema),
};

/** What the enrichment must say of the event's address, whatever the index holds: the address
 * field, or when there is none the right-most X-Forwarded-For entry (README "Input"). */
function expectedSource(event: Record<string, unknown>, ipField: string): string[] {
  const xff = event.x_forwarded_for;
  const raw = typeof event[ipField] === 'string' ? event[ipField] : typeof xff === 'string' ? xff.split(',').at(-1) : undefined;
  if (typeof raw !== 'string') return ['invalid'];
  const parsed = parseClientIp(raw);
  if (parsed.kind === 'invalid') return ['invalid'];
  if (parsed.kind === 'bogon') return ['private'];
  return ['index', 'none'];
}

/** A plain copy: avsc gives records as instances of generated classes. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function checkEnrichment(e: EnrichedEvent, decoded: Record<string, unknown>, ipField: string): void {
  expect(plain(decoded.security)).toEqual(e.security === null ? null : plain(e.security));
  expect(plain(decoded.enrichment)).toEqual(plain(e.enrichment));
  expect(expectedSource(e.event, ipField)).toContain(e.enrichment.source);
  expect(e.security === null).toBe(e.enrichment.source === 'invalid' || e.enrichment.source === 'private');
}

/**
 * One batch through the encoder as the batch processor drives it: schemas resolved once per
 * topic, then every value written; values are read only after the whole batch is written, so
 * one overwriting another would show.
 */
async function encodeBatch(
  enriched: readonly EnrichedEvent[],
  writerOf: (e: EnrichedEvent) => WriterSchema | undefined,
  topicOf: (e: EnrichedEvent) => string,
  recordTimestampMs: number,
): Promise<Buffer[]> {
  const encodings = new Map<string, EnrichedEncoding>();
  for (const e of enriched) {
    const topic = topicOf(e);
    if (!encodings.has(topic)) {
      const inputs = enriched.filter((x) => topicOf(x) === topic).map((x) => writerOf(x) ?? x.kind);
      encodings.set(topic, await encoder.forBatch(topic, 'avro', inputs));
    }
  }
  return enriched.map((e) => encodings.get(topicOf(e))!.encode(e, writerOf(e), recordTimestampMs) as Buffer);
}

const events = fc.oneof(
  accessEventRecord.map((record) => ({ kind: 'access' as const, record: record })),
  authEventRecord.map((record) => ({ kind: 'auth' as const, record: record })),
);

describe('enriched Avro records read back', () => {
  it(
    'hold the input fields plus security and enrichment, and read as the input record with the writer schema (Avro input)',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(events, { minLength: 1, maxLength: 20 }), async (batch) => {
          const enriched = await enricher.enrich(
            batch.map((b) => b.record),
            batch.map((b) => b.kind),
          );
          const values = await encodeBatch(enriched, (e) => writers.get(KINDS[e.kind].id), (e) => `${e.kind}-logs`, 0);
          for (let i = 0; i < batch.length; i++) {
            const { kind, record } = batch[i]!;
            const e = enriched[i]!;
            const k = KINDS[kind];
            const value = values[i]!;
            const type = outputType(value);
            const body = value.subarray(5);
            const full = type.fromBuffer(body) as Record<string, unknown>;
            const { security: _s, enrichment: _e, ...fields } = full;
            expect(plain(fields)).toEqual(plain(record));
            checkEnrichment(e, full, k.ipField);
            // Schema evolution: a consumer of the input schema reads the output as the input.
            const old: unknown = readers[kind].fromBuffer(body, readers[kind].createResolver(type));
            expect(plain(old)).toEqual(plain(record));
          }
        }),
        params(41, 200),
      );
    },
    timeoutMs(6_000),
  );

  it(
    'hold the JSON event\'s fields in the bundled Enriched*Event schema and every other field in extra (JSON input)',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(events, { minLength: 1, maxLength: 20 }), fc.dictionary(fc.string({ maxLength: 6 }).map((k) => `u_${k}`), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), async (generated, unknownFields) => {
          // JSON epoch numbers under 1e11 are read as seconds (README "Alerts", event time): keep to milliseconds.
          const batch = generated.map((b) => ({ ...b, record: { ...b.record, timestamp: 1e11 + ((b.record.timestamp) % 4e12) } }));
          const jsonEvents = batch.map((b) => ({ ...unknownFields, ...b.record }));
          const enriched = await enricher.enrich(jsonEvents, batch.map((b) => b.kind));
          const values = await encodeBatch(enriched, () => undefined, (e) => `${e.kind}-json`, 1_700_000_000_000);
          for (let i = 0; i < batch.length; i++) {
            const { kind, record } = batch[i]!;
            const e = enriched[i]!;
            const value = values[i]!;
            const type = outputType(value);
            const full = type.fromBuffer(value.subarray(5)) as Record<string, unknown>;
            checkEnrichment(e, full, KINDS[kind].ipField);
            // Fields of the schema keep their values; the others go to `extra` as JSON text.
            const extra = (full.extra ?? {}) as Record<string, string>;
            const extraKeys = Object.keys(unknownFields);
            expect(Object.keys(extra).sort()).toEqual(extraKeys.sort());
            for (const key of extraKeys) expect(JSON.parse(extra[key]!)).toEqual(plain(unknownFields[key]));
            const { security: _s, enrichment: _e, extra: _x, ...fields } = full;
            expect(plain(fields)).toEqual(plain(record));
          }
        }),
        params(42, 200),
      );
    },
    timeoutMs(6_000),
  );

  it(
    'are the bytes avsc writes for the whole record, security and enrichment included, behind the schema id (Avro and JSON input)',
    async () => {
      const converters = { access: new JsonRecordConverter(enrichedJsonSchema('access')), auth: new JsonRecordConverter(enrichedJsonSchema('auth')) };
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(events, fc.boolean()), { minLength: 1, maxLength: 40 }), async (generated) => {
          const batch = generated.map(([b, avroInput]) => ({ ...b, avroInput, record: avroInput ? b.record : { ...b.record, timestamp: 1e11 + (b.record.timestamp % 4e12) } }));
          const enriched = await enricher.enrich(
            batch.map((b) => b.record),
            batch.map((b) => b.kind),
          );
          const writerOf = (e: EnrichedEvent): WriterSchema | undefined => (batch[enriched.indexOf(e)]!.avroInput ? writers.get(KINDS[e.kind].id) : undefined);
          const values = await encodeBatch(enriched, writerOf, (e) => `${e.kind}-${writerOf(e) ? 'logs' : 'json'}`, 1_700_000_000_000);
          for (let i = 0; i < batch.length; i++) {
            const e = enriched[i]!;
            const value = values[i]!;
            const type = outputType(value);
            const fields = batch[i]!.avroInput ? e.event : converters[e.kind].convert(e.event, { timestamp: 1_700_000_000_000 });
            // avsc's own encoding of the plain record, as the output schema's writer.
            const whole = type.toBuffer({ ...fields, security: e.security, enrichment: e.enrichment });
            expect(plain(type.fromBuffer(value.subarray(5)))).toEqual(plain(type.fromBuffer(whole)));
            expect(Buffer.compare(value.subarray(5), whole)).toBe(0);
          }
        }),
        params(43, 200),
      );
    },
    timeoutMs(6_000),
  );
});

