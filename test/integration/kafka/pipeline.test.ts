// The stream pipeline in-process (startRun, as `iprisk run` composes it) against the real
// broker and registry: a mixed stream of JSON, Confluent-framed Avro and garbage on an access
// and an auth topic, read back by independent clients and checked against the sample index's
// facts, SPEC sections 3, 4, 8 and 10.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningPipeline } from '../../../src/cli/run.js';
import { startRun } from '../../../src/cli/run.js';
import { parseConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import type { MetricSample, Received } from '../../helpers/kafka.js';
import {
  TopicCollector,
  createTopics,
  deleteGroups,
  deleteTopics,
  fetchMetrics,
  metricSum,
  registryJson,
  testKafka,
  uniqueName,
  waitCommittedAtEnd,
  waitFor,
} from '../../helpers/kafka.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import type { Expected } from './facts.js';
import { SAMPLE_FACTS, enrichmentProblems } from './facts.js';

const { brokers, registryUrl } = inject('stack');
const kafka = testKafka(brokers);
const admin = kafka.admin();
const reader = new SchemaRegistry({ host: registryUrl });

const ACCESS = uniqueName('it-access');
const AUTH = uniqueName('it-auth');
const ENRICHED = uniqueName('it-enriched');
const ALERTS = uniqueName('it-alerts');
const DLQ = uniqueName('it-dlq');
const GROUP = uniqueName('it-pipeline');

type DlqReason = 'json_invalid' | 'json_not_object' | 'avro_unknown_schema' | 'avro_corrupt' | 'avro_unframed' | 'empty';

/** One record the test produced: where, with what, and what must become of it. */
interface Produced {
  id: string;
  topic: string;
  key: string;
  value: Buffer | null;
  headers: Record<string, string>;
  outcome: { enriched: Expected; format: 'json'; event: Record<string, unknown> } | { enriched: Expected; format: 'avro'; event: Record<string, unknown>; writerId: number } | { dlq: DlqReason };
}

/** A writer schema of the test's own, with a nested record, an enum and an array, as real producers have. */
const EDGE_SCHEMA = {
  type: 'record',
  name: 'EdgeRequest',
  namespace: 'com.example.edge',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'client_ip', type: ['null', 'string'], default: null },
    { name: 'method', type: { type: 'enum', name: 'Method', symbols: ['GET', 'POST'] } },
    { name: 'path', type: 'string' },
    { name: 'geo', type: { type: 'record', name: 'Geo', fields: [{ name: 'country', type: 'string' }] } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
};
const AUTH_SCHEMA = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', 'AuthEvent.avsc'), 'utf8')) as { fields: { name: string }[] };
const ACCESS_FIELDS = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', 'AccessEvent.avsc'), 'utf8')) as { fields: { name: string }[] }).fields.map((f) => f.name);
const AUTH_FIELDS = AUTH_SCHEMA.fields.map((f) => f.name);

function lines(file: string): Record<string, unknown>[] {
  return readFileSync(path.join(REPO_ROOT, 'examples', file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function framed(id: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(id, 1);
  return Buffer.concat([head, body]);
}

const index: Expected = { source: 'index', ip: '' };
const at = (ip: string): Expected => ({ ...index, ip });
const privateIp = (ip: string): Expected => ({ source: 'private', ip });
const invalid = (ip: string | null): Expected => ({ source: 'invalid', ip });

/** What each examples/*.jsonl line's address is, in file order (see config/sample/sample-index.csv). */
const ACCESS_EXAMPLES: Expected[] = [
  at('2.56.188.34'),
  at('1.0.0.1'),
  privateIp('10.0.3.7'),
  at('2606:4700:4700::1111'),
  at('152.58.153.65'),
  at('185.220.101.33'),
  invalid('unknown'),
  at('2001:ac8:21:6::17'),
  { source: 'none', ip: '8.8.8.8' },
  at('2.56.188.34'),
];
const AUTH_EXAMPLES: Expected[] = [
  at('185.220.101.33'),
  at('2.56.188.34'),
  at('152.58.153.65'),
  at('172.224.226.9'),
  privateIp('192.168.10.4'),
  at('2.56.188.35'),
  at('2.56.188.34'),
  at('1.1.1.1'),
];

const produced: Produced[] = [];
let collector: TopicCollector;
let running: RunningPipeline | undefined;
let workDir = '';
let readyStatus = 0;
let healthStatus = 0;

function add(topic: string, outcome: Produced['outcome'], value: Buffer | null): void {
  const n = produced.filter((p) => p.topic === topic).length;
  const id = `${topic === ACCESS ? 'acc' : 'auth'}-${n}`;
  // Three keys per topic, so every key has several records whose order must hold.
  produced.push({ id, topic, key: `${topic === ACCESS ? 'acc' : 'auth'}-key-${n % 3}`, value, headers: { 'x-test-id': id, 'x-seq': String(n), 'trace-id': `trace-${id}` }, outcome });
}

function addJson(topic: string, event: Record<string, unknown>, enriched: Expected): void {
  add(topic, { enriched, format: 'json', event }, Buffer.from(JSON.stringify(event)));
}

function addGarbage(topic: string, value: Buffer | null, reason: DlqReason): void {
  add(topic, { dlq: reason }, value);
}

function messages(topic: string, from = 0): Message[] {
  return produced
    .filter((p) => p.topic === topic)
    .slice(from)
    .map((p) => ({ key: p.key, value: p.value, headers: p.headers }));
}

const PHASE_TWO_ID = 'auth-late';

function outputFor(id: string): Received[] {
  return collector.records.filter((r) => (r.topic === ENRICHED || r.topic === DLQ) && r.headers['x-test-id'] === id);
}

function inputOf(id: string): Received {
  const input = collector.records.find((r) => (r.topic === ACCESS || r.topic === AUTH) && r.headers['x-test-id'] === id);
  if (!input) throw new Error(`input record ${id} was not read back`);
  return input;
}

const decodedCache = new Map<Received, Record<string, unknown>>();
async function decoded(r: Received): Promise<Record<string, unknown>> {
  let value = decodedCache.get(r);
  if (!value) {
    if (r.value === null) throw new Error(`${r.topic}/${r.partition}@${r.offset} has no value`);
    value = (await reader.decode(r.value)) as Record<string, unknown>;
    decodedCache.set(r, value);
  }
  return value;
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'iprisk-kafka-pipeline-'));
  await admin.connect();
  await createTopics(admin, [
    { topic: ACCESS, partitions: 3 },
    { topic: AUTH, partitions: 3 },
    { topic: ENRICHED, partitions: 3 },
    { topic: ALERTS, partitions: 1 },
    { topic: DLQ, partitions: 1 },
  ]);

  // Writers of Avro input register their own schemas, as producers do (TopicNameStrategy).
  const edge = (await registryJson(registryUrl, `/subjects/${ACCESS}-value/versions`, { method: 'POST', body: JSON.stringify({ schema: JSON.stringify(EDGE_SCHEMA) }) })) as { id: number };
  const authWriter = (await registryJson(registryUrl, `/subjects/${AUTH}-value/versions`, { method: 'POST', body: JSON.stringify({ schema: JSON.stringify(AUTH_SCHEMA) }) })) as { id: number };
  const edgeType = avro.Type.forSchema(EDGE_SCHEMA as avro.Schema);
  const authType = avro.Type.forSchema(AUTH_SCHEMA as avro.Schema);

  // Access: the example lines, addresses of every kind, Avro events, and garbage in between.
  lines('access.jsonl').forEach((event, i) => {
    addJson(ACCESS, event, ACCESS_EXAMPLES[i]!);
  });
  const t = (s: string): string => `2026-03-02T10:17:${s}Z`;
  addJson(ACCESS, { timestamp: t('01'), client_ip: '2001:AC8:21:6::99', method: 'GET', path: '/vpn', status: '200', tenant: 'acme', tags: ['a', 'b'] }, at('2001:ac8:21:6::99'));
  addGarbage(ACCESS, Buffer.from('not json {'), 'json_invalid');
  addJson(ACCESS, { timestamp: t('02'), client_ip: '::ffff:2.56.188.35', method: 'GET', path: '/mapped' }, at('2.56.188.35'));
  addJson(ACCESS, { timestamp: t('03'), client_ip: 'fd00::1', method: 'GET', path: '/ula' }, privateIp('fd00::1'));
  addGarbage(ACCESS, Buffer.from('[1,2,3]'), 'json_not_object');
  addJson(ACCESS, { timestamp: t('04'), client_ip: '127.0.0.1', method: 'GET', path: '/loopback' }, privateIp('127.0.0.1'));
  addJson(ACCESS, { timestamp: t('05'), client_ip: '100.64.1.2', method: 'GET', path: '/cgnat' }, privateIp('100.64.1.2'));
  addJson(ACCESS, { timestamp: t('06'), client_ip: '192.0.2.10', method: 'GET', path: '/documentation' }, privateIp('192.0.2.10'));
  addGarbage(ACCESS, Buffer.from([0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]), 'avro_unknown_schema');
  addJson(ACCESS, { timestamp: t('07'), client_ip: '999.1.1.1', method: 'GET', path: '/bad-ip' }, invalid('999.1.1.1'));
  addJson(ACCESS, { timestamp: t('08'), method: 'GET', path: '/no-ip' }, invalid(null));
  addJson(ACCESS, { timestamp: t('09'), source: { ip: '1.1.1.1' }, method: 'GET', path: '/ecs' }, at('1.1.1.1'));
  const edgeEvents: [Record<string, unknown>, Expected][] = [
    [{ event_id: 'e-1', timestamp: Date.parse(t('10')), client_ip: '152.58.153.65', method: 'POST', path: '/checkout', geo: { country: 'IN' }, tags: ['mobile'] }, at('152.58.153.65')],
    [{ event_id: 'e-2', timestamp: Date.parse(t('11')), client_ip: '2606:4700::1111', method: 'GET', path: '/', geo: { country: 'US' }, tags: [] }, at('2606:4700::1111')],
    [{ event_id: 'e-3', timestamp: Date.parse(t('12')), client_ip: '10.1.2.3', method: 'GET', path: '/internal', geo: { country: 'DE' }, tags: ['lan'] }, privateIp('10.1.2.3')],
    [{ event_id: 'e-4', timestamp: Date.parse(t('13')), client_ip: null, method: 'GET', path: '/anonymous', geo: { country: 'FR' }, tags: [] }, invalid(null)],
  ];
  for (const [event, expected] of edgeEvents) {
    add(ACCESS, { enriched: expected, format: 'avro', event, writerId: edge.id }, framed(edge.id, edgeType.toBuffer(event)));
  }
  const whole = edgeType.toBuffer(edgeEvents[0]![0]);
  addGarbage(ACCESS, framed(edge.id, whole.subarray(0, Math.floor(whole.length / 2))), 'avro_corrupt');
  addGarbage(ACCESS, Buffer.alloc(0), 'empty');

  // Auth: the example lines, an IPv6 relay, a private address, one Avro event in the bundled schema, garbage.
  lines('auth.jsonl').forEach((event, i) => {
    addJson(AUTH, event, AUTH_EXAMPLES[i]!);
  });
  addGarbage(AUTH, Buffer.from('{"unterminated'), 'json_invalid');
  addJson(AUTH, { timestamp: '2026-03-02T10:18:00Z', ip: '2a02:26f7:b3c0:4000::5', user: 'heidi', action: 'login', outcome: 'success', device: { os: 'iOS' } }, at('2a02:26f7:b3c0:4000::5'));
  addGarbage(AUTH, Buffer.from('"just a string"'), 'json_not_object');
  addJson(AUTH, { timestamp: '2026-03-02T10:18:01Z', ip: '192.168.1.1', user: 'ivan', action: 'login', outcome: 'failure' }, privateIp('192.168.1.1'));
  addGarbage(AUTH, null, 'empty');
  const authEvent = { timestamp: Date.parse('2026-03-02T10:18:02Z'), ip: '2.56.188.35', user: 'judy', action: 'signup', outcome: 'success', reason: null, user_agent: 'curl/8.5.0', app: 'api', session_id: 's-90' };
  add(AUTH, { enriched: at('2.56.188.35'), format: 'avro', event: authEvent, writerId: authWriter.id }, framed(authWriter.id, authType.toBuffer(authEvent)));
  addGarbage(AUTH, Buffer.from([0, 0, 1]), 'avro_unframed');
  addGarbage(AUTH, Buffer.from([0xff, 0xfe, 0x7b]), 'json_invalid');

  const loaded = {
    config: parseConfig(
      {
        kafka: { brokers, client_id: 'iprisk-it', group_id: GROUP, start_from: 'earliest' },
        schema_registry: { url: registryUrl },
        inputs: [
          { topic: ACCESS, kind: 'access', format: 'auto' },
          { topic: AUTH, kind: 'auth', format: 'auto' },
        ],
        outputs: { enriched: { topic: ENRICHED, format: 'avro' }, alerts: { topic: ALERTS, format: 'avro' }, dlq: { topic: DLQ } },
        http: { port: 0 },
      },
      'pipeline.test.ts',
    ),
    file: undefined,
    baseDir: workDir,
  };
  collector = await TopicCollector.start(kafka, [ACCESS, AUTH, ENRICHED, ALERTS, DLQ]);
  running = await startRun(loaded, createLogger({ level: process.env.IPRISK_LOG_LEVEL ?? 'error' }));
  const opsUrl = running.opsUrl;
  readyStatus = await waitFor('/readyz to answer 200', async () => ((await fetch(`${opsUrl}/readyz`)).status === 200 ? 200 : undefined), { timeoutMs: 30_000 });
  healthStatus = (await fetch(`${opsUrl}/healthz`)).status;

  const producer = kafka.producer();
  await producer.connect();
  try {
    // Phase one: everything but one late event; wait until all of it is out.
    await producer.send({ topic: ACCESS, acks: -1, messages: messages(ACCESS) });
    await producer.send({ topic: AUTH, acks: -1, messages: messages(AUTH) });
    const phaseOne = produced.length;
    await collector.until(`${phaseOne} inputs to come out enriched or dead-lettered`, (c) => c.on(ENRICHED).length + c.on(DLQ).length >= phaseOne, 60_000);
    await collector.until('the first alerts', (c) => c.on(ALERTS).length >= 5, 30_000);
    // Phase two, a whole suppression window later by event time: the same (rule, ip) pairs alert again and carry the count.
    const before = produced.filter((p) => p.topic === AUTH).length;
    addJson(AUTH, { timestamp: '2026-03-02T10:30:00Z', ip: '2.56.188.34', user: 'bob', action: 'login', outcome: 'failure', reason: 'bad_password' }, at('2.56.188.34'));
    produced.at(-1)!.id = PHASE_TWO_ID;
    produced.at(-1)!.headers['x-test-id'] = PHASE_TWO_ID;
    await producer.send({ topic: AUTH, acks: -1, messages: messages(AUTH, before) });
  } finally {
    await producer.disconnect();
  }
  await collector.until('every input and alert to come out', (c) => c.on(ENRICHED).length + c.on(DLQ).length >= produced.length && c.on(ALERTS).length >= 7, 60_000);
}, 180_000);

afterAll(async () => {
  await running?.stop();
  await collector.stop();
  await deleteTopics(admin, [ACCESS, AUTH, ENRICHED, ALERTS, DLQ]);
  await deleteGroups(admin, [GROUP]);
  await admin.disconnect();
  rmSync(workDir, { recursive: true, force: true });
});

describe('iprisk run over a mixed stream of JSON, Avro and garbage', () => {
  it('answers /healthz with 200 and turns /readyz to 200 once the consumer group is joined', () => {
    expect(healthStatus).toBe(200);
    expect(readyStatus).toBe(200);
    expect(running?.pipeline.ready).toBe(true);
  });

  it('enriches every decodable event with the security object the sample index holds for its address', async () => {
    const problems: string[] = [];
    for (const p of produced) {
      if (!('enriched' in p.outcome)) continue;
      const [out] = outputFor(p.id).filter((r) => r.topic === ENRICHED);
      if (!out) {
        problems.push(`${p.id}: not in the enriched topic`);
        continue;
      }
      const value = await decoded(out);
      for (const problem of enrichmentProblems(p.outcome.enriched, value.security, value.enrichment as Record<string, unknown> | null)) problems.push(`${p.id}: ${problem}`);
      const enrichment = value.enrichment as Record<string, unknown>;
      if (enrichment.index_version !== 'sample') problems.push(`${p.id}: index_version ${String(enrichment.index_version)}`);
      if (typeof enrichment.enriched_at !== 'number' || Math.abs(enrichment.enriched_at - Date.now()) > 10 * 60_000) problems.push(`${p.id}: enriched_at ${String(enrichment.enriched_at)}`);
    }
    expect(problems).toEqual([]);
    // The documented example itself (seed 001's API reference response).
    const first = await decoded(outputFor('acc-0').find((r) => r.topic === ENRICHED)!);
    expect(first.security).toMatchObject({ threat_score: 80, is_vpn: true, vpn_provider_names: ['Nord VPN'], is_known_attacker: true, cloud_provider_name: 'Packethub S.A.' });
  });

  it('writes Avro input in the writer schema plus nullable security and enrichment, registered under the output topic subject', async () => {
    const subjectIds = new Set<number>();
    for (const version of (await registryJson(registryUrl, `/subjects/${ENRICHED}-value/versions`)) as number[]) {
      subjectIds.add(((await registryJson(registryUrl, `/subjects/${ENRICHED}-value/versions/${version}`)) as { id: number }).id);
    }
    for (const p of produced) {
      if (!('enriched' in p.outcome) || p.outcome.format !== 'avro') continue;
      const out = outputFor(p.id).find((r) => r.topic === ENRICHED)!;
      const id = out.value!.readUInt32BE(1);
      expect(out.value![0]).toBe(0);
      expect(subjectIds.has(id), `${p.id}: schema id ${id} is not a version of ${ENRICHED}-value`).toBe(true);
      const writer = JSON.parse(((await registryJson(registryUrl, `/schemas/ids/${p.outcome.writerId}`)) as { schema: string }).schema) as { name: string; fields: unknown[] };
      const schema = JSON.parse(((await registryJson(registryUrl, `/schemas/ids/${id}`)) as { schema: string }).schema) as { name: string; fields: { name: string; type: unknown; default?: unknown }[] };
      expect(schema.name).toBe(writer.name);
      expect(schema.fields.slice(0, writer.fields.length)).toEqual(writer.fields);
      expect(schema.fields.slice(writer.fields.length).map((f) => [f.name, (f.type as unknown[])[0], f.default])).toEqual([
        ['security', 'null', null],
        ['enrichment', 'null', null],
      ]);
      const value = await decoded(out);
      const { security: _s, enrichment: _e, ...event } = value;
      expect(event).toEqual(p.outcome.event);
    }
  });

  it('writes JSON input in the bundled Enriched schemas and keeps the fields they do not name in extra', async () => {
    for (const p of produced) {
      if (!('enriched' in p.outcome) || p.outcome.format !== 'json') continue;
      const kind = p.topic === ACCESS ? 'access' : 'auth';
      const out = outputFor(p.id).find((r) => r.topic === ENRICHED)!;
      const schema = JSON.parse(((await registryJson(registryUrl, `/schemas/ids/${out.value!.readUInt32BE(1)}`)) as { schema: string }).schema) as { name: string; namespace: string };
      expect(`${schema.namespace}.${schema.name}`).toBe(kind === 'access' ? 'io.iprisk.EnrichedAccessEvent' : 'io.iprisk.EnrichedAuthEvent');
      const fields = kind === 'access' ? ACCESS_FIELDS : AUTH_FIELDS;
      const { security: _s, enrichment: _e, extra, ...record } = await decoded(out);
      const expected: Record<string, unknown> = {};
      for (const name of fields) {
        const value = p.outcome.event[name];
        if (name === 'timestamp') expected[name] = Date.parse(String(value));
        else if (name === 'status' && typeof value === 'string') expected[name] = Number(value);
        else expected[name] = value ?? null;
      }
      expect(record, p.id).toEqual(expected);
      const unknown = Object.entries(p.outcome.event).filter(([name]) => !fields.includes(name));
      expect(extra, p.id).toEqual(unknown.length === 0 ? null : Object.fromEntries(unknown.map(([name, value]) => [name, JSON.stringify(value)])));
    }
  });

  it('passes keys and headers through to the enriched topic and keeps the order of each key', () => {
    const byKey = new Map<string, Received[]>();
    for (const out of collector.on(ENRICHED)) {
      const p = produced.find((x) => x.id === out.headers['x-test-id'])!;
      expect(out.key?.toString()).toBe(p.key);
      expect(out.headers).toEqual(p.headers);
      byKey.set(p.key, [...(byKey.get(p.key) ?? []), out]);
    }
    expect(byKey.size).toBe(6);
    for (const [key, records] of byKey) {
      expect(new Set(records.map((r) => r.partition)).size, `${key} spread over partitions`).toBe(1);
      const seqs = records.map((r) => Number(r.headers['x-seq']));
      expect(seqs, `order of ${key}`).toEqual([...seqs].sort((a, b) => a - b));
    }
  });

  it('dead-letters every undecodable record with its key, value and headers, where it came from and why', () => {
    const garbage = produced.filter((p) => 'dlq' in p.outcome);
    expect(collector.on(DLQ)).toHaveLength(garbage.length);
    for (const p of garbage) {
      const [out, ...more] = outputFor(p.id);
      expect(more, `${p.id} came out more than once`).toEqual([]);
      expect(out?.topic, p.id).toBe(DLQ);
      const input = inputOf(p.id);
      expect(out!.key?.toString()).toBe(p.key);
      expect(out!.value ?? Buffer.alloc(0)).toEqual(p.value ?? Buffer.alloc(0));
      const { 'iprisk.error.message': message, ...headers } = out!.headers;
      expect(headers, p.id).toEqual({
        ...p.headers,
        'iprisk.source.topic': p.topic,
        'iprisk.source.partition': String(input.partition),
        'iprisk.source.offset': input.offset,
        'iprisk.error.code': (p.outcome as { dlq: string }).dlq,
      });
      expect(message, p.id).toMatch(/\S/);
    }
  });

  it('loses nothing: each input comes out once, enriched or dead-lettered, and the group commits the end offsets', async () => {
    for (const topic of [ACCESS, AUTH]) {
      const mine = produced.filter((p) => p.topic === topic);
      const enriched = collector.on(ENRICHED).filter((r) => mine.some((p) => p.id === r.headers['x-test-id']));
      const dead = collector.on(DLQ).filter((r) => r.headers['iprisk.source.topic'] === topic);
      expect(enriched.length + dead.length, topic).toBe(mine.length);
      expect(collector.on(topic)).toHaveLength(mine.length);
    }
    for (const p of produced) expect(outputFor(p.id), p.id).toHaveLength(1);
    const gaps = await waitCommittedAtEnd(admin, GROUP, [ACCESS, AUTH], 30_000);
    expect(gaps.reduce((n, g) => n + Number(g.end), 0)).toBe(produced.length);
  });

  it('alerts on the default rules once per (rule, ip) window and carries the suppressed count into the next alert', async () => {
    const alerts = await Promise.all(collector.on(ALERTS).map(async (r) => ({ record: r, alert: await decoded(r) })));
    expect(alerts).toHaveLength(7);
    expect(new Set(alerts.map((a) => a.alert.alert_id)).size).toBe(7);
    const seen = alerts.map(({ record, alert }) => {
      const source = alert.source as { topic: string; partition: number; offset: string };
      const input = collector.records.find((r) => r.topic === source.topic && r.partition === source.partition && r.offset === source.offset);
      const p = produced.find((x) => x.id === input?.headers['x-test-id']);
      if (!p || !('enriched' in p.outcome)) throw new Error(`alert ${JSON.stringify(alert)} points at no produced event`);
      const event = p.outcome.event;
      const ip = p.outcome.enriched.ip!;
      const fact = SAMPLE_FACTS[ip]!;
      expect(record.key?.toString()).toBe(ip);
      expect(record.headers['iprisk.alert.rule']).toBe(alert.rule);
      expect(alert.ip).toBe(ip);
      expect(alert.event_kind).toBe(p.topic === ACCESS ? 'access' : 'auth');
      expect(alert.event_time).toBe(Date.parse(String(event.timestamp)));
      expect(alert.security).toMatchObject(fact.flags);
      expect(alert.threat_score).toBe((alert.security as { threat_score: number }).threat_score);
      return { rule: alert.rule as string, severity: alert.severity, summary: alert.summary, id: p.id, user: event.user, suppressed: alert.suppressed_count };
    });
    const byRule = (rule: string) => seen.filter((s) => s.rule === rule);
    // 2.56.188.34 scores 80: four events inside one window (one alert, three suppressed), then the late one.
    const high = byRule('high-threat-score');
    expect(high.map((a) => [a.severity, a.summary, a.suppressed])).toEqual([
      ['high', 'Threat score 80 from 2.56.188.34', 0],
      ['high', 'Threat score 80 from 2.56.188.34', 3],
    ]);
    expect(high[1]!.id).toBe(PHASE_TWO_ID);
    // Failed auth from anonymous addresses: alice (Tor), dave (relay), bob twice in a window, then bob late.
    const anonymous = byRule('auth-failure-from-anonymous-ip');
    expect(anonymous.map((a) => [a.severity, a.summary, a.suppressed]).sort()).toEqual(
      [
        ['medium', 'Failed login for alice from anonymous IP 185.220.101.33', 0],
        ['medium', 'Failed login for bob from anonymous IP 2.56.188.34', 0],
        ['medium', 'Failed login for bob from anonymous IP 2.56.188.34', 1],
        ['medium', 'Failed mfa for dave from anonymous IP 172.224.226.9', 0],
      ].sort(),
    );
    expect(anonymous.find((a) => a.suppressed === 1)?.id).toBe(PHASE_TWO_ID);
    expect(byRule('tor-exit-auth').map((a) => [a.severity, a.summary, a.user])).toEqual([['high', 'Auth event (login, failure) from Tor exit 185.220.101.33', 'alice']]);
  });

  it('counts what was consumed, dead-lettered and alerted in /metrics', async () => {
    const dlqByReason = new Map<string, number>();
    for (const p of produced) if ('dlq' in p.outcome) dlqByReason.set(p.outcome.dlq, (dlqByReason.get(p.outcome.dlq) ?? 0) + 1);
    const sources = new Map<string, number>();
    for (const p of produced) if ('enriched' in p.outcome) sources.set(p.outcome.enriched.source, (sources.get(p.outcome.enriched.source) ?? 0) + 1);
    const expected = (samples: MetricSample[]) => ({
      consumedAccess: metricSum(samples, 'iprisk_events_consumed_total', { topic: ACCESS }),
      consumedAuth: metricSum(samples, 'iprisk_events_consumed_total', { topic: AUTH }),
      dlq: Object.fromEntries([...dlqByReason.keys()].map((reason) => [reason, metricSum(samples, 'iprisk_dlq_records_total', { reason })])),
      dlqTotal: metricSum(samples, 'iprisk_dlq_records_total'),
      enriched: Object.fromEntries([...sources.keys()].map((source) => [source, metricSum(samples, 'iprisk_events_enriched_total', { source })])),
      alerts: {
        high: metricSum(samples, 'iprisk_alerts_emitted_total', { rule: 'high-threat-score' }),
        anonymous: metricSum(samples, 'iprisk_alerts_emitted_total', { rule: 'auth-failure-from-anonymous-ip' }),
        tor: metricSum(samples, 'iprisk_alerts_emitted_total', { rule: 'tor-exit-auth' }),
      },
      suppressed: {
        high: metricSum(samples, 'iprisk_alerts_suppressed_total', { rule: 'high-threat-score' }),
        anonymous: metricSum(samples, 'iprisk_alerts_suppressed_total', { rule: 'auth-failure-from-anonymous-ip' }),
      },
      lag: metricSum(samples, 'iprisk_consumer_lag_records'),
    });
    const want = {
      consumedAccess: produced.filter((p) => p.topic === ACCESS).length,
      consumedAuth: produced.filter((p) => p.topic === AUTH).length,
      dlq: Object.fromEntries(dlqByReason),
      dlqTotal: [...dlqByReason.values()].reduce((a, b) => a + b, 0),
      enriched: Object.fromEntries(sources),
      alerts: { high: 2, anonymous: 4, tor: 1 },
      suppressed: { high: 3, anonymous: 1 },
      lag: 0,
    };
    // Metrics are recorded once the batch is committed, which may trail its outputs by a moment.
    let last: unknown;
    await waitFor(
      '/metrics to count every record',
      async () => {
        last = expected(await fetchMetrics(running!.opsUrl));
        return JSON.stringify(last) === JSON.stringify(want) ? true : undefined;
      },
      { timeoutMs: 20_000, describe: () => `last: ${JSON.stringify(last)}` },
    );
    expect(last).toEqual(want);
  });
});
