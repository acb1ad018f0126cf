// `iprisk run` under faults of the components around it, on real ones: a hung broker, a broker
// restarted on its port and data, a hung schema registry while records of a new writer schema
// arrive, a hung remote provider, an instance SIGKILLed while its group rebalances, and
// SIGKILLs with exactly_once. Each keeps events flowing through the fault and then reads the
// output topics to their end: every input id must come out enriched, valid events never reach
// the dead-letter topic (docs/delivery.md: outages fail the batch, they do not dead-letter).
//
// The broker and registry are this file's own (test/helpers/chaos.ts), so pausing and
// restarting them never touches the shared stack the other test files run against.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readToEnd, startChaosStack, steadyStream } from '../../helpers/chaos.js';
import type { ChaosStack } from '../../helpers/chaos.js';
import { FaultServer } from '../../helpers/fault-server.js';
import {
  RunProcess,
  assertBuilt,
  createRunScenario,
  registryJson,
  testKafka,
  waitCommittedAtEnd,
  waitFor,
  writeConfig,
} from '../../helpers/kafka.js';
import type { RunScenario } from '../../helpers/kafka.js';
import type { Received } from '../../helpers/kafka.js';

let stack: ChaosStack;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;

/** Undone after each test, last first: processes, servers, topics, groups, folders. */
const cleanups: (() => Promise<void> | void)[] = [];

type Scenario = RunScenario;

function scenario(name: string, inputPartitions: number): Promise<Scenario> {
  return createRunScenario(admin, (cleanup) => cleanups.push(cleanup), { prefix: 'chaos', name, inputPartitions });
}

interface Extra {
  kafka?: Record<string, unknown>;
  remote?: Record<string, unknown>;
  avro?: boolean;
  name?: string;
}

/** JSON in and out unless `avro` (Avro in and out, through the registry). */
function configFor(s: Scenario, extra: Extra = {}): string {
  const format = extra.avro === true ? 'avro' : 'json';
  return writeConfig(
    s.dir,
    {
      kafka: {
        brokers: stack.brokers,
        client_id: 'iprisk-chaos',
        group_id: s.group,
        start_from: 'earliest',
        // A killed member holds its partitions until its session expires: keep that short.
        session_timeout_ms: 6000,
        heartbeat_interval_ms: 1000,
        ...extra.kafka,
      },
      ...(extra.avro === true ? { schema_registry: { url: stack.registryUrl } } : {}),
      inputs: [{ topic: s.input, kind: 'access', format }],
      outputs: { enriched: { topic: s.enriched, format }, alerts: { topic: s.alerts, format: 'json' }, dlq: { topic: s.dlq } },
      http: { port: 0 },
      pipeline: { shutdown_deadline_ms: 20_000 },
      ...(extra.remote ? { remote: extra.remote } : {}),
    },
    extra.name ?? 'iprisk.yaml',
  );
}

function start(file: string): RunProcess {
  const run = RunProcess.start(file);
  cleanups.push(() => run.kill());
  return run;
}

async function waitReady(run: RunProcess): Promise<void> {
  const ops = await run.opsUrl();
  await waitFor('/readyz to answer 200', async () => ((await fetch(`${ops}/readyz`)).status === 200 ? true : undefined), {
    timeoutMs: 60_000,
    describe: () => `stderr tail:\n${run.tail()}`,
  });
}

const joined = (line: { msg: string }): boolean => line.msg === 'joined the consumer group';

/** Addresses the sample index holds and some it does not: both kinds go through every fault. */
const ADDRESSES = ['1.0.0.1', '8.8.8.8', '185.220.101.33', '2.56.188.35', '2606:4700::1111', '203.0.113.77'];

function accessEvent(run: string, i: number, ip: string): Record<string, unknown> {
  return {
    timestamp: new Date(Date.UTC(2026, 2, 2, 11, 0, 0) + i * 1000).toISOString(),
    client_ip: ip,
    method: 'GET',
    path: `/p/${i}`,
    status: 200,
    request_id: `${run}-${i}`,
  };
}

/** JSON access events with a unique request_id each, keyed so that every partition gets work. */
function events(run: string, count: number, address: (i: number) => string = (i) => ADDRESSES[i % ADDRESSES.length]!): Message[] {
  return Array.from({ length: count }, (_, i) => ({ key: `user-${i % 11}`, value: JSON.stringify(accessEvent(run, i, address(i))) }));
}

function ids(messages: readonly Message[]): string[] {
  return messages.map((m) => (JSON.parse(String(m.value)) as { request_id: string }).request_id);
}

function jsonIds(records: readonly Received[]): string[] {
  return records.map((r) => (JSON.parse(r.value?.toString() ?? '{}') as { request_id?: string }).request_id ?? '?');
}

function counts(values: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}

/** The ids that never came out, for a failure message that says how many were lost. */
function lost(wanted: readonly string[], seen: ReadonlyMap<string, number>): string[] {
  return wanted.filter((id) => !seen.has(id));
}

/**
 * Waits for the group to commit the end of the input (so everything produced is processed),
 * stops the instances with SIGTERM (exit 0: the fault left them healthy) and reads the
 * enriched and dead-letter topics to their end offsets.
 */
async function finish(s: Scenario, runs: readonly RunProcess[], readUncommitted = true): Promise<{ enriched: Received[]; dlq: Received[] }> {
  try {
    await waitCommittedAtEnd(admin, s.group, [s.input], 120_000);
  } catch (err) {
    if (process.env.CHAOS_LOG_DIR !== undefined) for (const [i, run] of runs.entries()) writeFileSync(path.join(process.env.CHAOS_LOG_DIR, `${s.group}-${i}.log`), run.stderr);
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${runs.map((run) => `iprisk run (${run.running ? 'running' : 'exited'}):\n${run.tail(20)}`).join('\n')}`, { cause: err });
  }
  for (const run of runs) run.signal('SIGTERM');
  for (const run of runs) expect((await run.exit(40_000)).code, run.tail()).toBe(0);
  return {
    enriched: await readToEnd(kafka, admin, s.enriched, { readUncommitted }),
    dlq: await readToEnd(kafka, admin, s.dlq, { readUncommitted }),
  };
}

/** Waits `ms` while a fault lasts; what the test asserts never depends on how long that was. */
function hold(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What beforeAll set up, undone in afterAll even when it failed half-way. */
const teardown: (() => Promise<void>)[] = [];

beforeAll(async () => {
  assertBuilt();
  stack = await startChaosStack();
  teardown.push(() => stack.stop());
  kafka = testKafka(stack.brokers, 'iprisk-chaos-test');
  admin = kafka.admin();
  await admin.connect();
  teardown.push(() => admin.disconnect());
  producer = kafka.producer();
  await producer.connect();
  teardown.push(() => producer.disconnect());
}, 600_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  for (const step of teardown.splice(0).reverse()) await step();
}, 180_000);

describe('iprisk run under faults of the broker, the registry, a remote provider and its own instances', () => {
  it('keeps one process through a broker that hangs for 10 s mid-stream, and enriches every event', { timeout: 180_000 }, async () => {
    const s = await scenario('hang', 3);
    const run = start(configFor(s));
    await waitReady(run);
    const inputs = events('hang', 2000);
    let paused = false;
    let stream: Promise<void> | undefined;
    const hung = new Promise<void>((resolve) => {
      stream = steadyStream(producer, s.input, inputs, {
        chunk: 20,
        pauseMs: 40,
        onChunk: (sent) => {
          if (!paused && sent >= 500) {
            paused = true;
            resolve();
          }
        },
      });
    });
    await hung;
    stack.pause('kafka');
    await hold(10_000);
    stack.resume('kafka');
    await stream;

    const out = await finish(s, [run]);
    const seen = counts(jsonIds(out.enriched));
    const missing = lost(ids(inputs), seen);
    expect(missing.length, `events lost of ${inputs.length}: ${missing.slice(0, 5).join(', ')}`).toBe(0);
    expect(out.dlq.length).toBe(0);
  });

  it('enriches every event across a broker restart on the same port and data mid-stream', { timeout: 180_000 }, async () => {
    const s = await scenario('restart', 3);
    const run = start(configFor(s));
    await waitReady(run);
    const inputs = events('restart', 2000);
    let restarting: Promise<void> | undefined;
    await steadyStream(producer, s.input, inputs, {
      chunk: 20,
      pauseMs: 40,
      onChunk: async (sent) => {
        if (restarting === undefined && sent >= 500) {
          restarting = stack.restartKafka();
          // The producer waits for the broker like any client: the stream goes on after.
          await restarting;
        }
      },
    });
    expect(restarting).toBeDefined();

    const out = await finish(s, [run]);
    const seen = counts(jsonIds(out.enriched));
    const missing = lost(ids(inputs), seen);
    expect(missing.length, `events lost of ${inputs.length}: ${missing.slice(0, 5).join(', ')}\n${stack.kafkaLogTail(10)}`).toBe(0);
    expect(out.dlq.length).toBe(0);
    // One process throughout: it reconnected, it was not restarted.
    expect(run.logs.filter((l) => l.msg === 'iprisk run starting')).toHaveLength(1);
  });

  it('fetches the writer schema of a new Avro schema once a hung registry answers again: every record enriched, none dead-lettered', { timeout: 180_000 }, async () => {
    const s = await scenario('registry', 2);
    const base = {
      type: 'record',
      name: 'EdgeRequest',
      namespace: 'com.example.chaos',
      fields: [
        { name: 'request_id', type: 'string' },
        { name: 'timestamp', type: 'string' },
        { name: 'client_ip', type: ['null', 'string'], default: null },
        { name: 'method', type: 'string' },
        { name: 'path', type: 'string' },
      ],
    };
    // The producer's next version: a field added with a default, a new id iprisk has not seen.
    const next = { ...base, fields: [...base.fields, { name: 'tenant', type: 'string', default: 'none' }] };
    const register = async (schema: object): Promise<number> =>
      ((await registryJson(stack.registryUrl, `/subjects/${s.input}-value/versions`, { method: 'POST', body: JSON.stringify({ schema: JSON.stringify(schema) }) })) as { id: number }).id;
    const firstId = await register(base);
    const nextId = await register(next);
    expect(nextId).not.toBe(firstId);
    const encode = (id: number, schema: object, value: Record<string, unknown>): Buffer => {
      const head = Buffer.alloc(5);
      head.writeUInt32BE(id, 1);
      return Buffer.concat([head, avro.Type.forSchema(schema as avro.Schema).toBuffer(value)]);
    };
    const record = (i: number): Record<string, unknown> => {
      const e = accessEvent('registry', i, ADDRESSES[i % ADDRESSES.length]!);
      return { request_id: e.request_id, timestamp: e.timestamp, client_ip: e.client_ip, method: e.method, path: e.path };
    };
    const before: Message[] = Array.from({ length: 300 }, (_, i) => ({ key: `user-${i % 11}`, value: encode(firstId, base, record(i)) }));
    const after: Message[] = Array.from({ length: 1200 }, (_, n) => {
      const i = 300 + n;
      return { key: `user-${i % 11}`, value: encode(nextId, next, { ...record(i), tenant: `t${i % 3}` }) };
    });

    const run = start(configFor(s, { avro: true }));
    await waitReady(run);
    await steadyStream(producer, s.input, before, { chunk: 20, pauseMs: 40 });
    // iprisk has read the first schema before the registry hangs; the new one it must fetch.
    await waitCommittedAtEnd(admin, s.group, [s.input], 60_000);
    stack.pause('registry');
    // The records of the new schema keep coming while the registry hangs, and after.
    let hang: Promise<void> | undefined;
    await steadyStream(producer, s.input, after, {
      chunk: 10,
      pauseMs: 80,
      onChunk: () => {
        hang ??= hold(10_000).then(() => {
          stack.resume('registry');
        });
      },
    });
    await hang;

    const out = await finish(s, [run]);
    const reader = new SchemaRegistry({ host: stack.registryUrl });
    const seenIds: string[] = [];
    for (const r of out.enriched) seenIds.push(((await reader.decode(r.value!)) as { request_id: string }).request_id);
    const wanted = [...before, ...after].map((_, i) => `registry-${i}`);
    const missing = lost(wanted, counts(seenIds));
    expect(missing.length, `records lost of ${wanted.length}: ${missing.slice(0, 5).join(', ')}`).toBe(0);
    expect(out.dlq.map((r) => r.headers['iprisk.error.code'])).toEqual([]);
  });

  it('keeps enriching through a remote provider that stalls every answer for 8 s: index-only meanwhile, the remote again after', { timeout: 180_000 }, async () => {
    const s = await scenario('remote', 2);
    const remote = await FaultServer.start();
    cleanups.push(() => remote.close());
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    cleanups.push(() => {
      release();
    });
    const file = configFor(s, {
      remote: {
        on_remote_failure: 'pass',
        providers: [{ type: 'iprisk', base_url: remote.url, timeout_ms: 1500, retries: 0, breaker: { failure_threshold: 2, open_ms: 2000 } }],
      },
    });
    // Every event but a sixth misses the index (a fresh address each, so the cache never
    // answers): each batch asks the remote.
    const inputs = events('remote', 2400, (i) => (i % 6 === 0 ? '185.220.101.33' : `9.9.${Math.floor(i / 200)}.${(i % 200) + 1}`));
    const run = start(file);
    await waitReady(run);
    let stalledAt = -1;
    let healedAt = -1;
    let stall: Promise<void> | undefined;
    await steadyStream(producer, s.input, inputs, {
      chunk: 20,
      pauseMs: 100,
      onChunk: (sent) => {
        if (stall === undefined && sent >= 400) {
          stalledAt = remote.requests.length;
          remote.failAll({ kind: 'hold', release: released });
          // Events keep coming while the remote stalls.
          stall = hold(8_000).then(() => {
            healedAt = remote.requests.length;
            remote.heal();
            release();
          });
        }
      },
    });
    await stall;
    expect(healedAt).toBeGreaterThan(stalledAt);

    const out = await finish(s, [run]);
    const seen = counts(jsonIds(out.enriched));
    const missing = lost(ids(inputs), seen);
    expect(missing.length, `events lost of ${inputs.length}: ${missing.slice(0, 5).join(', ')}`).toBe(0);
    expect(out.dlq.length).toBe(0);
    // The stall was felt (asked and held, misses passed unenriched), and the remote was asked
    // and answered again once it recovered.
    expect(remote.requests.slice(stalledAt, healedAt).filter((r) => r.fault === 'hold').length).toBeGreaterThan(0);
    expect(remote.requests.slice(healedAt).filter((r) => r.fault === null).length).toBeGreaterThan(0);
    const sources = counts(out.enriched.map((r) => (JSON.parse(r.value?.toString() ?? '{}') as { enrichment?: { source?: string } }).enrichment?.source ?? '?'));
    expect(sources.get('remote') ?? 0, JSON.stringify([...sources])).toBeGreaterThan(0);
    expect(sources.get('none') ?? 0, JSON.stringify([...sources])).toBeGreaterThan(0);
  });

  it('loses nothing when one of three instances is SIGKILLed right after a third joins the group (at least once)', { timeout: 180_000 }, async () => {
    const s = await scenario('fleet', 6);
    const file = configFor(s);
    const a = start(file);
    const b = start(file);
    await waitReady(a);
    await waitReady(b);
    const inputs = events('fleet', 3000);
    let c: RunProcess | undefined;
    let killed = false;
    await steadyStream(producer, s.input, inputs, {
      chunk: 25,
      pauseMs: 40,
      onChunk: async (sent) => {
        if (c === undefined && sent >= 600) {
          c = start(file);
          // The group has just been rebalanced to take the third member in: the kill lands
          // while the others are still settling into their new partitions, and starts the
          // next rebalance once a's session expires.
          await c.waitForLog('that it joined the group', joined, 60_000);
          a.signal('SIGKILL');
          killed = true;
        }
      },
    });
    expect(killed).toBe(true);
    expect((await a.exit(10_000)).signal).toBe('SIGKILL');

    const out = await finish(s, [b, c!]);
    const seen = counts(jsonIds(out.enriched));
    const missing = lost(ids(inputs), seen);
    expect(missing.length, `events lost of ${inputs.length}: ${missing.slice(0, 5).join(', ')}`).toBe(0);
    expect(out.dlq.length).toBe(0);
  });

  it('with exactly_once and a stable transactional id each, two SIGKILLs mid-stream leave a read_committed reader every event exactly once', { timeout: 180_000 }, async () => {
    const s = await scenario('eos', 4);
    // A stable id per instance: the restarted one fences its predecessor's open transaction at
    // once (README), instead of read_committed readers waiting for it to time out.
    const fileA = configFor(s, { kafka: { exactly_once: true, transactional_id: `${s.group}-a` }, name: 'a.yaml' });
    const fileB = configFor(s, { kafka: { exactly_once: true, transactional_id: `${s.group}-b` }, name: 'b.yaml' });
    let a = start(fileA);
    let b = start(fileB);
    await waitReady(a);
    await waitReady(b);
    const inputs = events('eos', 2000);
    const kills: string[] = [];
    await steadyStream(producer, s.input, inputs, {
      chunk: 20,
      pauseMs: 40,
      onChunk: async (sent) => {
        if (kills.length === 0 && sent >= 500) {
          a.signal('SIGKILL');
          await a.exit(10_000);
          kills.push('a');
          a = start(fileA);
          await a.waitForLog('that it joined the group', joined, 60_000);
        } else if (kills.length === 1 && sent >= 1200) {
          b.signal('SIGKILL');
          await b.exit(10_000);
          kills.push('b');
          b = start(fileB);
          await b.waitForLog('that it joined the group', joined, 60_000);
        }
      },
    });
    expect(kills).toEqual(['a', 'b']);

    const out = await finish(s, [a, b], false);
    const seen = counts(jsonIds(out.enriched));
    const wrong = ids(inputs)
      .filter((id) => seen.get(id) !== 1)
      .map((id) => `${id}: ${seen.get(id) ?? 0}`);
    expect(wrong.slice(0, 10), `${wrong.length} events seen other than exactly once`).toEqual([]);
    expect(seen.size).toBe(inputs.length);
    expect(out.dlq.length).toBe(0);
  });
});
