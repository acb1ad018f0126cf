import { describe, expect, it } from 'vitest';
import { AlertEngine } from '../../../src/alerts/engine.js';
import { RetroAlerts } from '../../../src/alerts/retro.js';
import type { RetroStats } from '../../../src/alerts/retro.js';
import { alertsSchema } from '../../../src/alerts/rules-schema.js';
import { DEFAULT_IP_FIELDS } from '../../../src/config/schema.js';
import { Enricher } from '../../../src/enrich/enricher.js';
import { BatchProcessor } from '../../../src/kafka/batch.js';
import type { InputRoute } from '../../../src/kafka/batch.js';
import { decodeValue } from '../../../src/kafka/decode.js';
import { DLQ_HEADERS } from '../../../src/kafka/dlq.js';
import { OutputEncoder } from '../../../src/kafka/output-encoder.js';
import type { OutputFormat } from '../../../src/kafka/output-encoder.js';
import { chunkRecords } from '../../../src/kafka/pipeline.js';
import type { InRecord, OutRecord } from '../../../src/kafka/records.js';
import { indexOf, sourceOf } from '../../helpers/build-index.js';

const index = indexOf([sourceOf('sample', [['185.220.101.0/24', { is_tor: true }], ['2.56.188.34', { is_known_attacker: true, is_vpn: true, is_proxy: true, is_cloud_provider: true, is_spam: true }]])]);
const extraction = { ip_fields: [...DEFAULT_IP_FIELDS], xff_field: 'x_forwarded_for', trusted_proxies: [] };

function record(offset: number, value: string | Buffer | null, key: string | null = 'k'): InRecord {
  return {
    offset: String(offset),
    key: key === null ? null : Buffer.from(key),
    value: typeof value === 'string' ? Buffer.from(value) : value,
    headers: { trace: Buffer.from('t-1') },
    timestamp: '1772446501000',
  };
}

function processor(): BatchProcessor {
  return new BatchProcessor(
    { enrichedFormat: 'json', alertsTopic: 'alerts', alertsFormat: 'json', dlqTopic: 'dlq', maxRecordBytes: 2048 },
    undefined,
    new OutputEncoder(undefined),
    new AlertEngine(alertsSchema.parse({}), { clock: () => 0 }),
  );
}

const route: InputRoute = {
  topic: 'auth-events',
  kind: 'auth',
  format: 'auto',
  enrichedTopic: 'enriched',
  enricher: new Enricher({ index: { current: index }, extraction }),
};

describe('decoding record values', () => {
  it.each([
    [null, 'empty'],
    ['', 'empty'],
    ['{"a":', 'json_invalid'],
    ['[1,2]', 'json_not_object'],
    ['"text"', 'json_not_object'],
    [Buffer.from([0xff, 0xfe, 0x7b]), 'json_invalid'],
    [Buffer.from([0, 0, 0, 0, 7, 2]), 'avro_unknown_schema'],
    ['x'.repeat(3000), 'oversize'],
  ])('sends %j to the DLQ as %s', async (value, reason) => {
    const decoded = await decodeValue(value === null ? null : Buffer.from(value), 'auto', undefined, 2048);
    expect(decoded).toMatchObject({ ok: false, reason });
  });

  it('refuses unframed bytes on an Avro-only topic', async () => {
    expect(await decodeValue(Buffer.from('{"a":1}'), 'avro', undefined, 2048)).toMatchObject({ ok: false, reason: 'avro_unframed' });
  });

  it('decodes a JSON object', async () => {
    expect(await decodeValue(Buffer.from('{"ip":"1.2.3.4"}'), 'json', undefined, 2048)).toEqual({ ok: true, format: 'json', event: { ip: '1.2.3.4' } });
  });
});

describe('processing one input batch', () => {
  it('enriches good records in input order, dead-letters bad ones in place with their reasons, and commits past the last', async () => {
    const plan = await processor().process(route, 3, [
      record(10, '{"ip":"185.220.101.7","user":"alice","action":"login","outcome":"failure"}'),
      record(11, 'garbage'),
      record(12, '{"ip":"10.0.0.1","user":"bob","action":"login","outcome":"success"}'),
    ]);
    expect(plan.nextOffset).toBe('13');
    const [first, dead, third] = plan.records;
    expect(first?.topic).toBe('enriched');
    expect(JSON.parse(String(first?.value))).toMatchObject({ user: 'alice', security: { is_tor: true }, enrichment: { source: 'index' } });
    expect(first?.key).toEqual(Buffer.from('k'));
    expect(first?.headers?.trace).toEqual(Buffer.from('t-1'));
    expect(dead?.topic).toBe('dlq');
    expect(dead?.value).toEqual(Buffer.from('garbage'));
    expect(dead?.headers).toMatchObject({
      trace: Buffer.from('t-1'),
      [DLQ_HEADERS.topic]: 'auth-events',
      [DLQ_HEADERS.partition]: '3',
      [DLQ_HEADERS.offset]: '11',
      [DLQ_HEADERS.code]: 'json_invalid',
    });
    expect(JSON.parse(String(third?.value))).toMatchObject({ user: 'bob', security: null, enrichment: { source: 'private' } });
    expect(plan.dlqByReason.get('json_invalid')).toBe(1);
    expect(Object.fromEntries(plan.enrichedBySource)).toEqual({ index: 1, private: 1 });
  });

  it('produces the alerts the rules call for, keyed by address, with Kafka provenance', async () => {
    const plan = await processor().process(route, 0, [record(5, '{"ip":"185.220.101.7","user":"a","action":"login","outcome":"failure"}')]);
    const alerts = plan.records.filter((r) => r.topic === 'alerts');
    expect(alerts.map((a) => (JSON.parse(String(a.value)) as { rule: string }).rule).sort()).toEqual(['auth-failure-from-anonymous-ip', 'tor-exit-auth']);
    expect(alerts[0]?.key).toBe('185.220.101.7');
    expect(JSON.parse(String(alerts[0]?.value))).toMatchObject({ source: { topic: 'auth-events', partition: 0, offset: '5' } });
  });

  it('loses nothing: every input record is either enriched or dead-lettered', async () => {
    const inputs = Array.from({ length: 50 }, (_, i) => record(i, i % 7 === 0 ? 'nope' : `{"ip":"2.56.188.${i}","user":"u","action":"login","outcome":"success"}`));
    const plan = await processor().process(route, 0, inputs);
    const outs = plan.records.filter((r) => r.topic !== 'alerts');
    expect(outs).toHaveLength(50);
    expect(outs.filter((r) => r.topic === 'dlq')).toHaveLength(8);
  });
});

describe('remembering for retro-alerts', () => {
  // Avro output with no schema registry configured: every enriched record fails to encode.
  async function remembered(enrichedFormat: OutputFormat): Promise<{ remembered: number; encodeFailed: number; alerts: number }> {
    const config = alertsSchema.parse({ retro: { enabled: true, lookback_secs: 3600, max_addresses: 1000 } });
    const stats: RetroStats[] = [];
    const retro = new RetroAlerts(config.rules, config.retro, { clock: () => 1772446501000, onStats: (s) => stats.push(s) });
    const plan = await new BatchProcessor(
      { enrichedFormat, alertsTopic: 'alerts', alertsFormat: 'json', dlqTopic: 'dlq', maxRecordBytes: 2048 },
      undefined,
      new OutputEncoder(undefined),
      new AlertEngine(config, { clock: () => 0 }),
      retro,
    ).process(route, 0, [record(5, '{"ip":"185.220.101.7","user":"a","action":"login","outcome":"failure"}')]);
    return {
      remembered: stats.at(-1)?.remembered ?? 0,
      encodeFailed: plan.dlqByReason.get('encode_failed') ?? 0,
      alerts: plan.records.filter((r) => r.topic === 'alerts').length,
    };
  }

  it('remembers an event that was enriched and produced', async () => {
    expect(await remembered('json')).toEqual({ remembered: 1, encodeFailed: 0, alerts: 2 });
  });

  it('does not remember an event dead-lettered because it could not be encoded, as live alerts skip it', async () => {
    expect(await remembered('avro')).toEqual({ remembered: 0, encodeFailed: 1, alerts: 0 });
  });
});

describe('splitting produce requests', () => {
  it('keeps every record, in order, with no request over the limit unless one record alone is', () => {
    const records: OutRecord[] = Array.from({ length: 20 }, (_, i) => ({ topic: 't', key: null, value: 'x'.repeat(i * 10) }));
    const chunks = chunkRecords(records, 300);
    expect(chunks.flat()).toEqual(records);
    for (const chunk of chunks) {
      const size = chunk.reduce((n, r) => n + r.value.length + 64, 0);
      expect(chunk.length === 1 || size <= 300).toBe(true);
    }
  });
});
