// `iprisk replay` against the real broker and registry: events with controlled timestamps in
// three windows, the built CLI replaying the middle one into a fresh topic through a group of
// its own, while a live group's committed offsets sit on the same input topic.
// (npm test builds dist/ first; run `npm run build` before running this file on its own.)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../../helpers/paths.js';
import { childEnv } from '../../helpers/env.js';

const { brokers, registryUrl } = inject('stack');
const kafka = new Kafka({ clientId: 'iprisk-replay-test', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 } });
const admin = kafka.admin();
const registry = new SchemaRegistry({ host: registryUrl });
const topics: string[] = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'iprisk-replay-'));

const id = randomUUID().slice(0, 8);
const INPUT = `replay-in-${id}`;
const LIVE_GROUP = `replay-live-${id}`;
const LIVE_ENRICHED = `replay-live-enriched-${id}`;
const ALERTS = `replay-alerts-${id}`;
const DLQ = `replay-dlq-${id}`;
const CONFIG = path.join(dir, 'iprisk.yaml');

// Three ten-minute windows ending a minute ago: recent enough for the broker's retention and
// timestamp checks, far enough apart that no event sits near a boundary.
const WINDOW_MS = 10 * 60_000;
const BASE_MS = Math.floor((Date.now() - 31 * 60_000) / 1000) * 1000;
const WINDOWS = ['early', 'middle', 'late'] as const;
type Window = (typeof WINDOWS)[number];
const PER_WINDOW = 8;

function windowStart(w: Window): number {
  return BASE_MS + WINDOWS.indexOf(w) * WINDOW_MS;
}

// In the middle window 2.56.188.34 appears once, so the one alert of that window is the same
// whichever partition is processed first.
const MIDDLE_IPS = ['2.56.188.34', '1.0.0.1', '152.58.153.65', '10.1.2.3', '2.56.188.35', '1.0.0.1', '185.220.101.7', '10.1.2.3'];
const OTHER_IPS = ['2.56.188.34', '1.0.0.1', '10.1.2.3', '152.58.153.65'];

interface Produced {
  requestId: string;
  window: Window;
  ip: string;
  partition: number;
  offset: string;
}
const produced: Produced[] = [];

function byWindow(...windows: Window[]): Produced[] {
  return produced.filter((p) => windows.includes(p.window));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  elapsedMs: number;
}

/** The built CLI as its own process; `whenStarted` sees stderr as it grows (to signal it). */
function replay(args: readonly string[], whenStarted?: (stderr: string, kill: (signal: NodeJS.Signals) => void) => void): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'iprisk.js'), 'replay', '-c', CONFIG, ...args], {
      cwd: dir,
      env: childEnv({ IPRISK_LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let signalled = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (whenStarted && !signalled) {
        whenStarted(stderr, (signal) => {
          signalled = true;
          child.kill(signal);
        });
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stderr, elapsedMs: performance.now() - started });
    });
  });
}

/** Every record of `topic` (as far as its high watermarks reach now), read by a fresh group. */
async function readAll(topic: string, timeoutMs = 30_000): Promise<KafkaMessage[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const expected = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  if (expected === 0) return [];
  const consumer = kafka.consumer({ groupId: `replay-reader-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`read ${messages.length} of ${expected} records of ${topic} within ${timeoutMs} ms`));
      }, timeoutMs);
      consumer
        .run({
          eachMessage: ({ message }) => {
            messages.push(message);
            if (messages.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
            return Promise.resolve();
          },
        })
        .catch((err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

interface EnrichedOut {
  request_id: string | null;
  client_ip: string | null;
  security: { threat_score: number; is_vpn: boolean; vpn_provider_names: string[]; cloud_provider_name: string; is_tor: boolean } | null;
  enrichment: { ip: string | null; source: string; enriched_at: number } | null;
}

async function decodeAll(messages: readonly KafkaMessage[]): Promise<EnrichedOut[]> {
  const out: EnrichedOut[] = [];
  for (const m of messages) {
    if (m.value === null) throw new Error('an enriched record has a null value');
    out.push((await registry.decode(m.value)) as EnrichedOut);
  }
  return out;
}

async function committed(groupId: string): Promise<{ partition: number; offset: string }[]> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [INPUT] });
  return (entry?.partitions ?? []).map(({ partition, offset }) => ({ partition, offset })).sort((a, b) => a.partition - b.partition);
}

async function freshTopicName(prefix: string): Promise<string> {
  const topic = `${prefix}-${randomUUID().slice(0, 8)}`;
  topics.push(topic);
  return Promise.resolve(topic);
}

/** Commits offsets on INPUT as a member of `groupId`, as a live consumer would have. (admin.setOffsets
 * does the same but waits out a whole 5 s fetch wait before it returns.) */
async function commitOnce(groupId: string, offsets: readonly { partition: number; offset: string }[]): Promise<void> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, () => {
        resolve();
      });
    });
    await consumer.subscribe({ topic: INPUT });
    // Reads and drops what it fetches; only the commit below leaves a trace.
    await consumer.run({ autoCommit: false, eachBatch: () => Promise.resolve() });
    await joined;
    await consumer.commitOffsets(offsets.map((o) => ({ topic: INPUT, ...o })));
  } finally {
    await consumer.disconnect();
  }
}

/** commitOnce until the broker shows the offsets: on a broker that just started, a consumer that
 * restarts on "coordinator loading" can let a commit go nowhere without an error. */
async function commitAsGroup(groupId: string, offsets: { partition: number; offset: string }[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await commitOnce(groupId, offsets);
    for (let poll = 0; poll < 10; poll++) {
      if (JSON.stringify(await committed(groupId)) === JSON.stringify(offsets)) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (attempt === 5) throw new Error(`the offsets of ${groupId} did not stick after ${attempt} commits: ${JSON.stringify(await committed(groupId))}`);
  }
}

beforeAll(async () => {
  await admin.connect();
  topics.push(INPUT, ALERTS, DLQ, LIVE_ENRICHED);
  await admin.createTopics({
    topics: [{ topic: INPUT, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '-1' }] }],
    waitForLeaders: true,
  });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  try {
    // One send per record, in time order, so each record's partition and offset are known.
    for (const window of WINDOWS) {
      const ips = window === 'middle' ? MIDDLE_IPS : OTHER_IPS;
      for (let i = 0; i < PER_WINDOW; i++) {
        const requestId = `${window}-${i}`;
        const ip = ips[i % ips.length]!;
        const partition = i % 2;
        const ms = windowStart(window) + 60_000 + i * 30_000;
        const value = { timestamp: iso(ms), client_ip: ip, method: 'GET', host: 'shop.example', path: `/item/${i}`, status: 200, request_id: requestId };
        const [meta] = await producer.send({
          topic: INPUT,
          acks: -1,
          messages: [{ partition, key: requestId, value: JSON.stringify(value), timestamp: String(ms) }],
        });
        if (meta?.baseOffset === undefined) throw new Error(`no offset for ${requestId}`);
        produced.push({ requestId, window, ip, partition, offset: meta.baseOffset });
      }
    }
  } finally {
    await producer.disconnect();
  }
  // The live group has read part of the topic; a replay must leave that exactly as it is.
  await commitAsGroup(LIVE_GROUP, [
    { partition: 0, offset: '3' },
    { partition: 1, offset: '5' },
  ]);
  writeFileSync(
    CONFIG,
    stringify({
      kafka: { brokers, client_id: 'iprisk-replay-test', group_id: LIVE_GROUP },
      schema_registry: { url: registryUrl },
      inputs: [{ topic: INPUT, kind: 'access', format: 'json' }],
      outputs: { enriched: { topic: LIVE_ENRICHED, format: 'avro' }, alerts: { topic: ALERTS, format: 'avro' }, dlq: { topic: DLQ } },
      http: { port: 0 },
    }),
  );
}, 60_000);

afterAll(async () => {
  // Only those that exist: kafkajs retries a missing topic's deletion for seconds.
  const existing = new Set(await admin.listTopics());
  const doomed = [...new Set(topics)].filter((t) => existing.has(t));
  if (doomed.length > 0) await admin.deleteTopics({ topics: doomed }).catch(() => undefined);
  await admin.deleteGroups([LIVE_GROUP]).catch(() => undefined);
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('iprisk replay', () => {
  it('replays exactly the middle window into the target topic, enriched and once each, leaving the live group untouched', { timeout: 60_000 }, async () => {
    const target = await freshTopicName('replay-out');
    const group = `replay-group-${id}`;
    const before = await committed(LIVE_GROUP);
    expect(before).toEqual([
      { partition: 0, offset: '3' },
      { partition: 1, offset: '5' },
    ]);

    const run = await replay(['--from', iso(windowStart('middle')), '--to', iso(windowStart('late')), '--to-topic', target, '--group', group]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain(`complete: ${PER_WINDOW} events into ${target}`);

    const records = await decodeAll(await readAll(target));
    const ids = records.map((r) => r.request_id);
    expect([...ids].sort()).toEqual(byWindow('middle').map((p) => p.requestId).sort());
    expect(new Set(ids).size).toBe(ids.length);

    // What the sample index holds for these addresses (config/sample/sample-index.csv and the
    // seed's documented answers): 2.56.188.34 scores 80 as a Nord VPN exit, 1.0.0.1 is Cloudflare.
    const attacker = records.find((r) => r.client_ip === '2.56.188.34');
    expect(attacker?.security).toMatchObject({ threat_score: 80, is_vpn: true, vpn_provider_names: ['Nord VPN'] });
    expect(attacker?.enrichment).toMatchObject({ ip: '2.56.188.34', source: 'index' });
    for (const cloud of records.filter((r) => r.client_ip === '1.0.0.1')) {
      expect(cloud.security?.cloud_provider_name).toBe('Cloudflare, Inc.');
    }
    for (const internal of records.filter((r) => r.client_ip === '10.1.2.3')) {
      expect(internal.security).toBeNull();
      expect(internal.enrichment?.source).toBe('private');
    }

    expect(await committed(LIVE_GROUP)).toEqual(before);
    // The replay group committed nothing, and is gone once the replay left it.
    for (const p of await committed(group)) expect(p.offset).toBe('-1');
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(group);
    // Nothing went to the configured enriched topic, and without --alerts no alerts topic was made.
    const existing = await admin.listTopics();
    expect(existing).not.toContain(LIVE_ENRICHED);
    expect(existing).not.toContain(ALERTS);
  });

  it('with --alerts produces the window\'s alert, and a second replay repeats its id', { timeout: 90_000 }, async () => {
    const window = ['--from', iso(windowStart('middle')), '--to', iso(windowStart('late'))];
    const first = await replay([...window, '--to-topic', await freshTopicName('replay-out'), '--alerts']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain(`alerts to ${ALERTS}: 1`);
    const second = await replay([...window, '--to-topic', await freshTopicName('replay-out'), '--alerts']);
    expect(second.status, second.stderr).toBe(0);

    const alerts = await Promise.all(
      (await readAll(ALERTS)).map(async (m) => (await registry.decode(m.value!)) as { alert_id: string; rule: string; ip: string; source: { topic: string; partition: number; offset: string } }),
    );
    expect(alerts).toHaveLength(2);
    const source = byWindow('middle').find((p) => p.ip === '2.56.188.34')!;
    for (const alert of alerts) {
      expect(alert).toMatchObject({ rule: 'high-threat-score', ip: '2.56.188.34', source: { topic: INPUT, partition: source.partition, offset: source.offset } });
    }
    expect(alerts[1]!.alert_id).toBe(alerts[0]!.alert_id);
  });

  it('with --rate takes at least events/rate seconds for the window', { timeout: 60_000 }, async () => {
    const target = await freshTopicName('replay-out');
    const rate = 8;
    const events = byWindow('early', 'middle').length;
    const run = await replay(['--from', iso(windowStart('early')), '--to', iso(windowStart('late')), '--to-topic', target, '--rate', String(rate), '--topics', INPUT]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.elapsedMs).toBeGreaterThanOrEqual((events / rate) * 1000);
    const ids = (await decodeAll(await readAll(target))).map((r) => r.request_id);
    expect([...ids].sort()).toEqual(byWindow('early', 'middle').map((p) => p.requestId).sort());
  });

  it('ends at once with an empty summary when the window holds no record', { timeout: 30_000 }, async () => {
    const run = await replay(['--from', '2001-01-01', '--to', '2001-01-02', '--to-topic', await freshTopicName('replay-out')]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain('complete: 0 events');
  });

  it('stops cleanly on SIGTERM, reporting how far it got, and leaves the live group untouched', { timeout: 60_000 }, async () => {
    const before = await committed(LIVE_GROUP);
    const target = await freshTopicName('replay-out');
    // At one event per second the window takes far longer than the test waits.
    const run = await replay(['--from', iso(windowStart('early')), '--to', iso(Date.now()), '--to-topic', target, '--rate', '1'], (stderr, kill) => {
      if (stderr.includes('replay joined its group')) kill('SIGTERM');
    });
    expect(run.signal).toBeNull();
    expect(run.status, run.stderr).toBe(143);
    expect(run.stderr).toContain('stopped by SIGTERM before the end of the window');
    expect(await committed(LIVE_GROUP)).toEqual(before);
  });
});
