// `iprisk replay --history` against the real broker and registry: two snapshots built by the CLI
// from real feeds (the later one adds the Tor Project's exit list), filed into a history with
// validity around a boundary, and events on both sides of it; each replayed event must carry its
// own period's verdict and version. (Run `npm run build` before running this file on its own.)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { iprisk } from '../../helpers/cli.js';
import { childEnv } from '../../helpers/env.js';
import { REPO_ROOT, sharedData } from '../../helpers/paths.js';

const { brokers, registryUrl } = inject('stack');
const kafka = new Kafka({ clientId: 'iprisk-replay-history-test', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 } });
const admin = kafka.admin();
const registry = new SchemaRegistry({ host: registryUrl });
const dir = mkdtempSync(path.join(os.tmpdir(), 'iprisk-replay-history-'));

const id = randomUUID().slice(0, 8);
const INPUT = `replay-history-in-${id}`;
const TARGET = `replay-history-out-${id}`;
const DLQ = `replay-history-dlq-${id}`;
const CONFIG = path.join(dir, 'iprisk.yaml');
const HISTORY = path.join(dir, 'history');

const firstAddress = (file: string): string => readFileSync(file, 'utf8').split('\n').find((l) => /^\d/.test(l))!.trim();
const TOR_EXIT = firstAddress(sharedData('tor', 'torbulkexitlist'));
// A single address of X4B's VPN list ("a.b.c.d/n" lines): its network's first address.
const VPN_ADDRESS = firstAddress(sharedData('vpn', 'x4bnet', 'output', 'vpn', 'ipv4.txt')).split('/')[0]!;

// Recent enough for the broker's timestamp checks; whole seconds keep the ISO texts short.
const NOW = Math.floor(Date.now() / 1000) * 1000;
const START = NOW - 15 * 60_000;
const BOUNDARY = NOW - 10 * 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

interface Sent {
  id: string;
  ip: string;
  /** The record's timestamp; the event's own `timestamp` field is this too unless `untimed`. */
  ms: number;
  untimed?: boolean;
}
const SENT: Sent[] = [
  { id: 'older-than-history', ip: VPN_ADDRESS, ms: START - 3 * 60_000 },
  { id: 'before-boundary', ip: TOR_EXIT, ms: BOUNDARY - 1 },
  { id: 'record-time-only', ip: TOR_EXIT, ms: BOUNDARY - 60_000, untimed: true },
  { id: 'at-boundary', ip: TOR_EXIT, ms: BOUNDARY },
  { id: 'after-boundary', ip: TOR_EXIT, ms: BOUNDARY + 60_000 },
];

let earlyVersion = '';
let lateVersion = '';

function buildSnapshot(name: string, sources: string, validFrom: number): string {
  writeFileSync(path.join(dir, `${name}.yaml`), `sources:\n${sources}`);
  const out = path.join(dir, `${name}.snap`);
  const built = iprisk(['index', 'build', '-c', path.join(dir, `${name}.yaml`), '-o', out, '--valid-from', iso(validFrom), '--history', HISTORY]);
  if (built.status !== 0) throw new Error(`index build ${name} failed: ${built.stderr}`);
  return (JSON.parse(iprisk(['index', 'inspect', '--json', out]).stdout) as { version: string }).version;
}

function replay(args: readonly string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'iprisk.js'), 'replay', '-c', CONFIG, ...args], {
      cwd: dir,
      env: childEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

interface EnrichedOut {
  request_id: string;
  security: { is_tor: boolean; is_vpn: boolean } | null;
  enrichment: { ip: string; source: string; index_version: string; stale: boolean };
}

/** Every record of TARGET, decoded, read by a fresh group up to the end offsets as they are now. */
async function readTarget(): Promise<EnrichedOut[]> {
  const offsets = await admin.fetchTopicOffsets(TARGET);
  const expected = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  const consumer = kafka.consumer({ groupId: `replay-history-reader-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const out: EnrichedOut[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TARGET, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`read ${out.length} of ${expected} records of ${TARGET}`));
      }, 30_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            out.push((await registry.decode(message.value!)) as EnrichedOut);
            if (out.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
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
  return out;
}

beforeAll(async () => {
  const vpn = `  - { name: x4b-vpn-v4, format: netset, meaning: vpn, path: ${sharedData('vpn', 'x4bnet', 'output', 'vpn', 'ipv4.txt')} }\n`;
  const tor = `  - { name: tor-bulk-exit-list, format: tor-exits, path: ${sharedData('tor', 'torbulkexitlist')} }\n`;
  earlyVersion = buildSnapshot('early', vpn, START);
  lateVersion = buildSnapshot('late', `${vpn}${tor}`, BOUNDARY);

  await admin.connect();
  await admin.createTopics({ topics: [{ topic: INPUT, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '-1' }] }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  try {
    for (const [i, s] of SENT.entries()) {
      const event = { ...(s.untimed ? {} : { timestamp: iso(s.ms) }), client_ip: s.ip, method: 'GET', path: '/login', status: 200, request_id: s.id };
      await producer.send({ topic: INPUT, acks: -1, messages: [{ partition: i % 2, key: s.id, value: JSON.stringify(event), timestamp: String(s.ms) }] });
    }
  } finally {
    await producer.disconnect();
  }
  writeFileSync(
    CONFIG,
    stringify({
      kafka: { brokers, client_id: 'iprisk-replay-history-test', group_id: `replay-history-live-${id}` },
      schema_registry: { url: registryUrl },
      inputs: [{ topic: INPUT, kind: 'access', format: 'json' }],
      outputs: { enriched: { topic: `unused-${id}`, format: 'avro' }, alerts: { topic: `unused-alerts-${id}`, format: 'avro' }, dlq: { topic: DLQ } },
      http: { port: 0 },
    }),
  );
}, 90_000);

afterAll(async () => {
  const existing = new Set(await admin.listTopics());
  const doomed = [INPUT, TARGET, DLQ].filter((t) => existing.has(t));
  if (doomed.length > 0) await admin.deleteTopics({ topics: doomed }).catch(() => undefined);
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('iprisk replay --history', () => {
  it('judges each replayed event by the snapshot in force at its time', { timeout: 90_000 }, async () => {
    expect(earlyVersion).not.toBe(lateVersion);
    const run = await replay(['--from', iso(START - 10 * 60_000), '--to', iso(NOW + 60_000), '--to-topic', TARGET, '--history', HISTORY, '--history-cache', '1']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain(`complete: ${SENT.length} events into ${TARGET}`);

    const byId = new Map((await readTarget()).map((r) => [r.request_id, r]));
    expect([...byId.keys()].sort()).toEqual(SENT.map((s) => s.id).sort());

    // Before the Tor list was filed, its exit is not Tor; from the boundary's millisecond on it is.
    expect(byId.get('before-boundary')!.security?.is_tor).toBe(false);
    expect(byId.get('before-boundary')!.enrichment).toMatchObject({ source: 'none', index_version: earlyVersion, stale: false });
    // No time in the event: the record's timestamp, a minute before the boundary, decides.
    expect(byId.get('record-time-only')!.enrichment).toMatchObject({ index_version: earlyVersion, stale: false });
    for (const after of ['at-boundary', 'after-boundary']) {
      expect(byId.get(after)!.security?.is_tor, after).toBe(true);
      expect(byId.get(after)!.enrichment, after).toMatchObject({ source: 'index', ip: TOR_EXIT, index_version: lateVersion, stale: false });
    }
    // Older than the history: its oldest snapshot answers, marked stale.
    expect(byId.get('older-than-history')!.security?.is_vpn).toBe(true);
    expect(byId.get('older-than-history')!.enrichment).toMatchObject({ source: 'index', index_version: earlyVersion, stale: true });
  });

  it('refuses a history folder that holds no snapshot, naming it', { timeout: 60_000 }, async () => {
    const empty = mkdtempSync(path.join(dir, 'empty-'));
    const run = await replay(['--from', iso(START), '--to', iso(NOW), '--to-topic', `${TARGET}-never`, '--history', empty]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`snapshot history ${empty} holds no snapshot`);
  });
});
