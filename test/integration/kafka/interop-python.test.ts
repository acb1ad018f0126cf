// Interop with a client nobody here wrote: Python confluent-kafka 2.16.0 produces the input
// (Avro through its own AvroSerializer and writer schema, JSON as plain bytes), iprisk's stream
// pipeline enriches it, and confluent-kafka's DeserializingConsumer with AvroDeserializer reads
// the enriched and alert topics back through the same schema registry.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import type { RunningPipeline } from '../../../src/cli/run.js';
import { startRun } from '../../../src/cli/run.js';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { ensurePythonVenv } from '../../helpers/python-venv.js';

const { brokers, registryUrl } = inject('stack');
const kafka = new Kafka({ clientId: 'iprisk-interop-test', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 } });
const admin = kafka.admin();
const dir = mkdtempSync(path.join(os.tmpdir(), 'iprisk-interop-'));
const id = randomUUID().slice(0, 8);
const ACCESS = `interop-access-${id}`;
const AUTH = `interop-auth-${id}`;
const ENRICHED = `interop-enriched-${id}`;
const ALERTS = `interop-alerts-${id}`;
const DLQ = `interop-dlq-${id}`;
const GROUP = `interop-${id}`;

/** The producer's own writer schema: not iprisk's AccessEvent (other names, one extra field). */
const WEB_REQUEST_SCHEMA = {
  type: 'record',
  name: 'WebRequest',
  namespace: 'com.example.edge',
  fields: [
    { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'client_ip', type: 'string' },
    { name: 'method', type: 'string' },
    { name: 'path', type: 'string' },
    { name: 'status', type: 'int' },
    { name: 'request_id', type: 'string' },
    { name: 'edge_region', type: 'string' },
    { name: 'user_agent', type: ['null', 'string'], default: null },
  ],
};

const T0 = Date.UTC(2026, 0, 19, 8, 0, 0);
const ACCESS_EVENTS = [
  { timestamp: T0, client_ip: '2.56.188.34', method: 'POST', path: '/login', status: 401, request_id: 'req-attacker', edge_region: 'eu-west', user_agent: 'curl/8.5.0' },
  { timestamp: T0 + 1000, client_ip: '1.0.0.1', method: 'GET', path: '/', status: 200, request_id: 'req-cloudflare', edge_region: 'ap-south', user_agent: null },
  { timestamp: T0 + 2000, client_ip: '10.0.0.8', method: 'GET', path: '/health', status: 200, request_id: 'req-private', edge_region: 'eu-west', user_agent: null },
];
const AUTH_EVENTS = [
  { timestamp: '2026-01-19T08:01:00Z', ip: '152.58.153.65', user: 'alice', action: 'login', outcome: 'failure', app: 'shop', session_id: 's-proxy' },
  { timestamp: '2026-01-19T08:02:00Z', ip: '185.220.101.7', user: 'bob', action: 'login', outcome: 'success', app: 'shop', session_id: 's-tor' },
  { timestamp: '2026-01-19T08:03:00Z', ip: '1.0.0.1', user: 'carol', action: 'mfa', outcome: 'success', app: 'shop', session_id: 's-cloud', device: 'ios' },
];

const PRODUCER = String.raw`
import faulthandler, json, sys
faulthandler.dump_traceback_later(40, exit=True)  # a hang ends with its stack on stderr
from datetime import datetime, timezone
from confluent_kafka import Producer, SerializingProducer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import StringSerializer

args = json.loads(sys.argv[1])
# A registry request without a timeout would wait forever.
registry = SchemaRegistryClient({"url": args["registry_url"], "timeout": 20})
failures = []

def on_delivery(err, _msg):
    if err is not None:
        failures.append(str(err))

# Subject <topic>-value: AvroSerializer's default TopicNameStrategy.
avro = SerializingProducer({
    "bootstrap.servers": args["brokers"],
    "acks": "all",
    "key.serializer": StringSerializer("utf_8"),
    "value.serializer": AvroSerializer(registry, json.dumps(args["schema"])),
})
for event in args["access"]:
    event = dict(event, timestamp=datetime.fromtimestamp(event["timestamp"] / 1000, tz=timezone.utc))
    avro.produce(args["access_topic"], key=event["request_id"], value=event, on_delivery=on_delivery)
if avro.flush(30) != 0:
    sys.exit("Avro records still undelivered after 30 s")

plain = Producer({"bootstrap.servers": args["brokers"], "acks": "all"})
for event in args["auth"]:
    plain.produce(args["auth_topic"], key=event["session_id"], value=json.dumps(event).encode("utf-8"), on_delivery=on_delivery)
if plain.flush(30) != 0 or failures:
    sys.exit("delivery failed: %s" % failures)
`;

const CONSUMER = String.raw`
import faulthandler, json, sys, time
faulthandler.dump_traceback_later(60, exit=True)  # a hang ends with its stack on stderr
from datetime import datetime
from confluent_kafka import DeserializingConsumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import StringDeserializer

args = json.loads(sys.argv[1])
# A registry request without a timeout would wait forever.
registry = SchemaRegistryClient({"url": args["registry_url"], "timeout": 20})
consumer = DeserializingConsumer({
    "bootstrap.servers": args["brokers"],
    "group.id": args["group"],
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
    "key.deserializer": StringDeserializer("utf_8"),
    # No reader schema: each record decodes with the writer schema its id names.
    "value.deserializer": AvroDeserializer(registry),
})

def plain(value):
    # Marks what Python decoded as a datetime, so the test sees the logical type was honoured.
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return {"$bytes": value.hex()}
    return value

ends = {}
assignment = []
for topic in args["topics"]:
    metadata = consumer.list_topics(topic, timeout=10)
    for partition in metadata.topics[topic].partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        if high > low:
            ends[(topic, partition)] = high
            assignment.append(TopicPartition(topic, partition, low))
consumer.assign(assignment)
deadline = time.monotonic() + 30
while ends and time.monotonic() < deadline:
    msg = consumer.poll(0.5)
    if msg is None:
        continue
    if msg.error() is not None:
        sys.exit("consume error: %s" % msg.error())
    print(json.dumps({"topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(), "key": msg.key(), "value": plain(msg.value())}), flush=True)
    if msg.offset() + 1 >= ends.get((msg.topic(), msg.partition()), 0):
        ends.pop((msg.topic(), msg.partition()), None)
consumer.close()
if ends:
    sys.exit("did not reach the end of %s within 30 s" % sorted(ends))
`;

function runPython(python: string, script: string, args: unknown): Promise<string> {
  const file = path.join(dir, `${randomUUID()}.py`);
  writeFileSync(file, script);
  return new Promise((resolve, reject) => {
    execFile(python, [file, JSON.stringify(args)], { timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`python ${path.basename(file)} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Resolves once the group's committed offsets reach every input partition's end. */
async function waitCommitted(groupId: string, inputs: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lagging: string[] = [];
    for (const topic of inputs) {
      const highs = await admin.fetchTopicOffsets(topic);
      const [group] = await admin.fetchOffsets({ groupId, topics: [topic] });
      for (const { partition, high } of highs) {
        const done = group?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
        if (done !== high) lagging.push(`${topic}[${partition}] ${done}/${high}`);
      }
    }
    if (lagging.length === 0) return;
    if (Date.now() > deadline) throw new Error(`the pipeline did not commit every input within ${timeoutMs} ms: ${lagging.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface Line {
  topic: string;
  key: string | null;
  value: Record<string, unknown> & { security: Record<string, unknown> | null; enrichment: Record<string, unknown> | null };
}

let python = '';
let running: RunningPipeline | undefined;
const lines: Line[] = [];
let pipelineStartedMs = 0;
let pipelineDoneMs = 0;

beforeAll(async () => {
  python = await ensurePythonVenv();
  await admin.connect();
  await admin.createTopics({
    topics: [ACCESS, AUTH, ENRICHED, ALERTS, DLQ].map((topic) => ({ topic, numPartitions: 1 })),
    waitForLeaders: true,
  });
  await runPython(python, PRODUCER, {
    brokers: brokers.join(','),
    registry_url: registryUrl,
    schema: WEB_REQUEST_SCHEMA,
    access_topic: ACCESS,
    auth_topic: AUTH,
    access: ACCESS_EVENTS,
    auth: AUTH_EVENTS,
  });

  const configFile = path.join(dir, 'iprisk.yaml');
  writeFileSync(
    configFile,
    stringify({
      kafka: { brokers, client_id: 'iprisk-interop', group_id: GROUP, start_from: 'earliest' },
      schema_registry: { url: registryUrl },
      inputs: [
        { topic: ACCESS, kind: 'access', format: 'auto' },
        { topic: AUTH, kind: 'auth', format: 'auto' },
      ],
      outputs: { enriched: { topic: ENRICHED, format: 'avro' }, alerts: { topic: ALERTS, format: 'avro' }, dlq: { topic: DLQ } },
      http: { port: 0 },
    }),
  );
  pipelineStartedMs = Date.now();
  running = await startRun(loadConfig(configFile, {}), createLogger({ level: 'error' }));
  await waitCommitted(GROUP, [ACCESS, AUTH], 45_000);
  await running.stop();
  running = undefined;
  pipelineDoneMs = Date.now();

  const stdout = await runPython(python, CONSUMER, {
    brokers: brokers.join(','),
    registry_url: registryUrl,
    group: `interop-reader-${id}`,
    topics: [ENRICHED, ALERTS, DLQ],
  });
  for (const line of stdout.split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Line);
}, 180_000);

afterAll(async () => {
  await running?.stop();
  await admin.deleteTopics({ topics: [ACCESS, AUTH, ENRICHED, ALERTS, DLQ] }).catch(() => undefined);
  await admin.deleteGroups([GROUP]).catch(() => undefined);
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

function enriched(field: string, value: string): Line['value'] {
  const found = lines.find((l) => l.topic === ENRICHED && l.value[field] === value);
  if (!found) throw new Error(`no enriched record with ${field} = ${value} among ${lines.length} lines`);
  return found.value;
}

describe('Python confluent-kafka and iprisk', () => {
  it('reads every enriched record and nothing was dead-lettered', () => {
    expect(lines.filter((l) => l.topic === ENRICHED)).toHaveLength(ACCESS_EVENTS.length + AUTH_EVENTS.length);
    expect(lines.filter((l) => l.topic === DLQ)).toHaveLength(0);
  });

  it('decodes the Avro records with the producer\'s writer schema extended, keys and fields kept', () => {
    const attacker = enriched('request_id', 'req-attacker');
    expect(attacker).toMatchObject({ client_ip: '2.56.188.34', method: 'POST', status: 401, edge_region: 'eu-west', user_agent: 'curl/8.5.0' });
    // timestamp-millis of the writer schema decodes as a datetime again.
    expect(attacker.timestamp).toEqual({ $datetime: '2026-01-19T08:00:00+00:00' });
    expect(lines.find((l) => l.topic === ENRICHED && l.value.request_id === 'req-attacker')?.key).toBe('req-attacker');
  });

  it('decodes the security object of the documented addresses with their documented values', () => {
    // ipgeolocation's documentation of 2.56.188.34 (threat score 80, Nord VPN) and 1.0.0.1 (Cloudflare).
    expect(enriched('request_id', 'req-attacker').security).toMatchObject({ threat_score: 80, is_vpn: true, vpn_provider_names: ['Nord VPN'], is_proxy: true, is_known_attacker: true });
    expect(enriched('request_id', 'req-cloudflare').security).toMatchObject({ is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc.' });
    expect(enriched('session_id', 's-cloud').security).toMatchObject({ cloud_provider_name: 'Cloudflare, Inc.' });
    // 152.58.153.65: the documented residential proxy (922 Proxy, confidence 99), score 45.
    expect(enriched('session_id', 's-proxy').security).toMatchObject({ threat_score: 45, is_residential_proxy: true, proxy_provider_names: ['922 Proxy'], is_anonymous: true });
    const internal = enriched('request_id', 'req-private');
    expect(internal.security).toBeNull();
    expect(internal.enrichment).toMatchObject({ ip: '10.0.0.8', source: 'private', matched_network: null });
  });

  it('decodes enrichment.enriched_at as a datetime from the time the pipeline ran', () => {
    for (const line of lines.filter((l) => l.topic === ENRICHED)) {
      const at = line.value.enrichment?.enriched_at as { $datetime?: string } | undefined;
      expect(at?.$datetime, JSON.stringify(line.value)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$/);
      const ms = Date.parse(at!.$datetime!);
      expect(ms).toBeGreaterThanOrEqual(pipelineStartedMs - 1000);
      expect(ms).toBeLessThanOrEqual(pipelineDoneMs + 1000);
    }
    expect(enriched('request_id', 'req-attacker').enrichment).toMatchObject({ ip: '2.56.188.34', source: 'index', matched_network: '2.56.188.34/32', stale: false });
  });

  it('keeps the JSON events\' fields, including one no schema names, through the bundled schema', () => {
    const cloud = enriched('session_id', 's-cloud');
    expect(cloud).toMatchObject({ ip: '1.0.0.1', user: 'carol', action: 'mfa', outcome: 'success', app: 'shop' });
    // The ISO text became the bundled schema's timestamp-millis, which Python reads as a datetime.
    expect(cloud.timestamp).toEqual({ $datetime: '2026-01-19T08:03:00+00:00' });
    const extra = cloud.extra as Record<string, string>;
    expect(JSON.parse(extra.device!)).toBe('ios');
  });

  it('decodes the alerts with the Alert schema, one per matching rule', () => {
    const alerts = lines.filter((l) => l.topic === ALERTS).map((l) => l.value);
    expect(alerts.map((a) => a.rule).sort()).toEqual(['auth-failure-from-anonymous-ip', 'high-threat-score', 'tor-exit-auth']);
    const byRule = new Map(alerts.map((a) => [a.rule as string, a]));
    expect(byRule.get('high-threat-score')).toMatchObject({
      severity: 'high',
      ip: '2.56.188.34',
      threat_score: 80,
      event_kind: 'access',
      event_time: { $datetime: '2026-01-19T08:00:00+00:00' },
      source: { topic: ACCESS, partition: 0, offset: '0' },
      security: { is_vpn: true, vpn_provider_names: ['Nord VPN'] },
      suppressed_count: 0,
    });
    expect(byRule.get('auth-failure-from-anonymous-ip')).toMatchObject({ severity: 'medium', ip: '152.58.153.65', event_kind: 'auth', source: { topic: AUTH, offset: '0' } });
    expect(byRule.get('tor-exit-auth')).toMatchObject({ severity: 'high', ip: '185.220.101.7', event_kind: 'auth', security: { is_tor: true } });
    for (const alert of alerts) expect(alert.alert_id).toMatch(/^[0-9a-f]{16,}$/);
  });
});
