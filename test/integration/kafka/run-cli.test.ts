// `iprisk run` as the operator runs it (node bin/iprisk.js run -c FILE, from dist/) against the
// real broker: delivery across SIGKILL restarts (at-least-once, and exactly-once with
// transactions) and the SIGTERM shutdown of SPEC section 10.
import type { Message } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { FaultServer } from '../../helpers/fault-server.js';
import {
  RunProcess,
  TopicCollector,
  createRunScenario,
  producePaced,
  runSuite,
  waitCommittedAtEnd,
  waitFor,
  writeConfig,
} from '../../helpers/kafka.js';
import type { RunScenario } from '../../helpers/kafka.js';

const { brokers } = inject('stack');
const { kafka, admin, producer, cleanups } = runSuite(brokers);

/** Undone after each test, last first: processes, readers, servers, topics, groups, folders. */

type Scenario = RunScenario;

function scenario(name: string, inputPartitions: number): Promise<Scenario> {
  return createRunScenario(admin, (cleanup) => cleanups.push(cleanup), { prefix: 'it', name, inputPartitions });
}

/** JSON in and out (no registry needed): these tests are about delivery, not formats. */
function configFor(s: Scenario, extra: { kafka?: Record<string, unknown>; pipeline?: Record<string, unknown>; remote?: Record<string, unknown> } = {}): string {
  return writeConfig(s.dir, {
    kafka: {
      brokers,
      client_id: 'iprisk-it',
      group_id: s.group,
      start_from: 'earliest',
      // A killed member holds its partitions until its session expires: keep that short.
      session_timeout_ms: 6000,
      heartbeat_interval_ms: 1000,
      ...extra.kafka,
    },
    inputs: [{ topic: s.input, kind: 'access', format: 'json' }],
    outputs: { enriched: { topic: s.enriched, format: 'json' }, alerts: { topic: s.alerts, format: 'json' }, dlq: { topic: s.dlq } },
    http: { port: 0 },
    pipeline: { shutdown_deadline_ms: 20_000, ...extra.pipeline },
    ...(extra.remote ? { remote: extra.remote } : {}),
  });
}

function start(file: string): RunProcess {
  const run = RunProcess.start(file);
  cleanups.push(() => run.kill());
  return run;
}

async function reader(topics: string[]): Promise<TopicCollector> {
  const collector = await TopicCollector.start(kafka, topics);
  cleanups.push(() => collector.stop());
  return collector;
}

const ADDRESSES = ['1.0.0.1', '8.8.8.8', '185.220.101.33', '10.0.0.1', '2.56.188.35', '2606:4700::1111'];

/** Access events with a unique request_id each, keyed so that both partitions get work. */
function events(run: string, count: number, from = 0, addresses: readonly string[] = ADDRESSES): Message[] {
  return Array.from({ length: count }, (_, n) => {
    const i = from + n;
    const event = {
      timestamp: new Date(Date.UTC(2026, 2, 2, 11, 0, 0) + i * 1000).toISOString(),
      client_ip: addresses[i % addresses.length],
      method: 'GET',
      path: `/p/${i}`,
      status: 200,
      request_id: `${run}-${i}`,
    };
    return { key: `user-${i % 7}`, value: JSON.stringify(event) };
  });
}

/** How often each request_id came out in the enriched topic. */
function seen(collector: TopicCollector, topic: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of collector.on(topic)) {
    const id = (JSON.parse(r.value?.toString() ?? '{}') as { request_id?: string }).request_id ?? '?';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

function ids(messages: readonly Message[]): string[] {
  return messages.map((m) => (JSON.parse(String(m.value)) as { request_id: string }).request_id);
}

const joined = (line: { msg: string }): boolean => line.msg === 'joined the consumer group';

/**
 * Feeds `inputs` at a live pace and SIGKILLs `run` once `killAfter` outputs are out, while the
 * stream is still coming; returns how many inputs had been sent at the kill.
 */
async function killMidStream(run: RunProcess, collector: TopicCollector, s: Scenario, inputs: readonly Message[], killAfter: number): Promise<number> {
  let sentAtKill = -1;
  await producePaced(producer, s.input, inputs, {
    chunk: 20,
    pauseMs: 40,
    onChunk: (sent) => {
      if (sentAtKill < 0 && collector.on(s.enriched).length >= killAfter) {
        run.signal('SIGKILL');
        sentAtKill = sent;
      }
    },
  });
  const exit = await run.exit(10_000);
  expect(exit.signal, 'the first run must die by the SIGKILL, mid-stream').toBe('SIGKILL');
  expect(sentAtKill).toBeGreaterThan(0);
  expect(sentAtKill).toBeLessThan(inputs.length);
  return sentAtKill;
}

describe('iprisk run delivery across restarts and shutdowns', () => {
  it('redelivers what a SIGKILL interrupted: every input comes out at least once and the group ends committed at the end', { timeout: 90_000 }, async () => {
    const s = await scenario('kill', 2);
    const file = configFor(s);
    const collector = await reader([s.enriched]);
    const inputs = events('kill', 800);

    const first = start(file);
    await first.waitForLog('that it joined the group', joined, 30_000);
    await killMidStream(first, collector, s, inputs, 100);
    const outAtKill = collector.on(s.enriched).length;
    expect(outAtKill).toBeLessThan(inputs.length);

    const second = start(file);
    await collector.until(`all ${inputs.length} inputs in the enriched topic`, (c) => seen(c, s.enriched).size >= inputs.length, 60_000);
    const counts = seen(collector, s.enriched);
    expect(ids(inputs).filter((id) => !counts.has(id))).toEqual([]);
    expect(counts.size).toBe(inputs.length);
    await waitCommittedAtEnd(admin, s.group, [s.input], 30_000);

    second.signal('SIGTERM');
    expect((await second.exit(30_000)).code).toBe(0);
  });

  it('on SIGTERM finishes the batch in flight, commits it and exits 0, so the next start reprocesses nothing', { timeout: 90_000 }, async () => {
    const s = await scenario('term', 1);
    // Every address misses the index and goes to the remote, which holds its answer until the
    // test lets it go: that is how the test knows a batch is in flight when SIGTERM arrives.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const remote = await FaultServer.start();
    cleanups.push(() => remote.close());
    remote.fail({ kind: 'hold', release: held });
    const file = configFor(s, {
      remote: { providers: [{ type: 'iprisk', base_url: remote.url, timeout_ms: 20_000, retries: 0 }], on_remote_failure: 'pass' },
    });
    const misses = Array.from({ length: 40 }, (_, i) => `9.9.${Math.floor(i / 200)}.${(i % 200) + 1}`);
    const collector = await reader([s.enriched]);

    const first = start(file);
    const ops = await first.opsUrl();
    await first.waitForLog('that it joined the group', joined, 30_000);
    await waitFor('/readyz to answer 200', async () => ((await fetch(`${ops}/readyz`)).status === 200 ? true : undefined), { timeoutMs: 20_000 });
    const batch = events('term', 40, 0, misses);
    await producer.send({ topic: s.input, acks: -1, messages: batch });
    await remote.waitForRequests(1, 30_000);
    expect(collector.on(s.enriched)).toEqual([]);

    first.signal('SIGTERM');
    await first.waitForLog('that it is stopping', (l) => l.msg.startsWith('stopping'), 10_000);
    // Draining: alive, but no longer ready for traffic.
    expect((await fetch(`${ops}/healthz`)).status).toBe(200);
    const readyz = await fetch(`${ops}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toEqual({ status: 'not ready', reason: 'consumer is stopping' });
    release();
    const exit = await first.exit(30_000);
    expect(exit, `exit of the first run:\n${first.tail()}`).toEqual({ code: 0, signal: null });
    await collector.until('the batch that was in flight at SIGTERM', (c) => seen(c, s.enriched).size >= batch.length, 20_000);
    await waitCommittedAtEnd(admin, s.group, [s.input], 10_000);

    // The next start reads only what came after the commit.
    const second = start(file);
    await second.waitForLog('that it joined the group', joined, 30_000);
    const tail = events('term', 5, 40, misses);
    await producer.send({ topic: s.input, acks: -1, messages: tail });
    await collector.until('the records sent after the restart', (c) => seen(c, s.enriched).size >= batch.length + tail.length, 30_000);
    await waitCommittedAtEnd(admin, s.group, [s.input], 10_000);
    second.signal('SIGTERM');
    expect((await second.exit(30_000)).code).toBe(0);
    const counts = seen(collector, s.enriched);
    expect([...ids(batch), ...ids(tail)].map((id) => [id, counts.get(id)])).toEqual([...ids(batch), ...ids(tail)].map((id) => [id, 1]));
  });

  it('with exactly_once, a read_committed reader sees each input exactly once across a SIGKILL and a restart', { timeout: 90_000 }, async () => {
    const s = await scenario('eos', 2);
    // A transactional id that survives the restart: the new producer fences the killed one and
    // aborts its open transaction at once, rather than leaving readers stuck behind it until
    // the transaction times out.
    const file = configFor(s, { kafka: { exactly_once: true, transactional_id: `${s.group}-tx` } });
    const collector = await reader([s.enriched]);
    const inputs = events('eos', 800);

    const first = start(file);
    await first.waitForLog('that it joined the group', joined, 30_000);
    await killMidStream(first, collector, s, inputs, 100);

    const second = start(file);
    await collector.until(`all ${inputs.length} inputs in the enriched topic`, (c) => seen(c, s.enriched).size >= inputs.length, 60_000);
    await waitCommittedAtEnd(admin, s.group, [s.input], 30_000);
    second.signal('SIGTERM');
    expect((await second.exit(30_000)).code).toBe(0);
    const counts = seen(collector, s.enriched);
    const wrong = ids(inputs).filter((id) => counts.get(id) !== 1).map((id) => `${id}: ${counts.get(id) ?? 0}`);
    expect(wrong, 'inputs seen other than exactly once').toEqual([]);
    expect(counts.size).toBe(inputs.length);
  });
});
