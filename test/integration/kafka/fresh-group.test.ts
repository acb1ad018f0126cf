// A brand-new consumer group (start_from: latest, the default) and what /readyz promises for it
// (SPEC section 12): once it answers 200, every event produced from then on is enriched, even
// when the instance is killed before its first commit and restarted. Also: a partition added
// to an input topic later is read from its beginning.
import type { Message } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { FaultServer } from '../../helpers/fault-server.js';
import {
  RunProcess,
  TopicCollector,
  createRunScenario,
  retrying,
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
  return createRunScenario(admin, (cleanup) => cleanups.push(cleanup), { prefix: 'it', name, inputPartitions, enrichedPartitions: 2 });
}

/** The operator's defaults for where a new group starts (no start_from: latest); JSON in and out. */
function configFor(s: Scenario, remote?: Record<string, unknown>): string {
  return writeConfig(s.dir, {
    kafka: {
      brokers,
      client_id: 'iprisk-it',
      group_id: s.group,
      // A killed or stopped member holds its partitions until its session expires: keep that short.
      session_timeout_ms: 6000,
      heartbeat_interval_ms: 1000,
    },
    inputs: [{ topic: s.input, kind: 'access', format: 'json' }],
    outputs: { enriched: { topic: s.enriched, format: 'json' }, alerts: { topic: s.alerts, format: 'json' }, dlq: { topic: s.dlq } },
    http: { port: 0 },
    pipeline: { shutdown_deadline_ms: 20_000 },
    ...(remote ? { remote } : {}),
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

async function waitReady(run: RunProcess): Promise<string> {
  const ops = await run.opsUrl();
  await waitFor('/readyz to answer 200', async () => ((await fetch(`${ops}/readyz`)).status === 200 ? true : undefined), {
    timeoutMs: 40_000,
    describe: () => `stderr tail:\n${run.tail()}`,
  });
  return ops;
}

const ADDRESSES = ['1.0.0.1', '8.8.8.8', '185.220.101.33', '2.56.188.35', '2606:4700::1111'];

/** Access events with a unique request_id each, keyed so that every partition gets work. */
function events(run: string, count: number, addresses: readonly string[] = ADDRESSES, partition?: number): Message[] {
  return Array.from({ length: count }, (_, i) => {
    const event = {
      timestamp: new Date(Date.UTC(2026, 2, 2, 11, 0, 0) + i * 1000).toISOString(),
      client_ip: addresses[i % addresses.length],
      method: 'GET',
      path: `/p/${i}`,
      status: 200,
      request_id: `${run}-${i}`,
    };
    return { key: `user-${i % 7}`, value: JSON.stringify(event), ...(partition === undefined ? {} : { partition }) };
  });
}

function ids(messages: readonly Message[]): string[] {
  return messages.map((m) => (JSON.parse(String(m.value)) as { request_id: string }).request_id);
}

function seenIds(collector: TopicCollector, topic: string): Set<string> {
  return new Set(collector.on(topic).map((r) => (JSON.parse(r.value?.toString() ?? '{}') as { request_id?: string }).request_id ?? '?'));
}

/**
 * Waits until every input came out enriched, or until `timeoutMs`; returns the request ids
 * that never did, so a failure says how many events were lost.
 */
async function lostAfter(collector: TopicCollector, s: Scenario, inputs: readonly Message[], timeoutMs: number): Promise<string[]> {
  const wanted = ids(inputs);
  const missing = (): string[] => {
    const seen = seenIds(collector, s.enriched);
    return wanted.filter((id) => !seen.has(id));
  };
  await waitFor('every input in the enriched topic', () => (missing().length === 0 ? true : undefined), { timeoutMs }).catch(() => undefined);
  return missing();
}

describe('a fresh consumer group and its start positions', () => {
  it('killed after /readyz said 200 but before its first batch, a restarted instance still enriches every event produced after ready', { timeout: 120_000 }, async () => {
    const s = await scenario('fresh-kill', 2);
    const file = configFor(s);
    const collector = await reader([s.enriched]);

    const first = start(file);
    await waitReady(first);
    // Stopped, it cannot fetch, process or commit anything: the events below all wait for
    // whoever holds the group's positions next.
    first.signal('SIGSTOP');
    const inputs = events('fresh-kill', 500);
    await producer.send({ topic: s.input, acks: -1, messages: inputs });
    first.signal('SIGKILL');
    expect((await first.exit(10_000)).signal).toBe('SIGKILL');
    expect(collector.on(s.enriched)).toEqual([]);

    const second = start(file);
    await waitReady(second);
    const lost = await lostAfter(collector, s, inputs, 40_000);
    expect(lost.length, `events lost of ${inputs.length} produced after /readyz: ${lost.slice(0, 5).join(', ')}`).toBe(0);
    await waitCommittedAtEnd(admin, s.group, [s.input], 30_000);
    second.signal('SIGTERM');
    expect((await second.exit(30_000)).code).toBe(0);
  });

  it('killed in the middle of its first batch, a restarted instance loses nothing (at least once)', { timeout: 120_000 }, async () => {
    const s = await scenario('fresh-mid', 1);
    // Every address misses the index and goes to the remote, whose first answer is held: the
    // first batch is in flight, not yet produced or committed, when the SIGKILL lands.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const remote = await FaultServer.start();
    cleanups.push(() => remote.close());
    cleanups.push(() => {
      release();
    });
    remote.fail({ kind: 'hold', release: held });
    const file = configFor(s, { providers: [{ type: 'iprisk', base_url: remote.url, timeout_ms: 20_000, retries: 0 }], on_remote_failure: 'pass' });
    const misses = Array.from({ length: 60 }, (_, i) => `9.9.0.${i + 1}`);
    const collector = await reader([s.enriched]);

    const first = start(file);
    await waitReady(first);
    const inputs = events('fresh-mid', 300, misses);
    await producer.send({ topic: s.input, acks: -1, messages: inputs });
    await remote.waitForRequests(1, 30_000);
    first.signal('SIGKILL');
    expect((await first.exit(10_000)).signal).toBe('SIGKILL');
    expect(collector.on(s.enriched)).toEqual([]);
    release();

    const second = start(file);
    await waitReady(second);
    const lost = await lostAfter(collector, s, inputs, 40_000);
    expect(lost.length, `events lost of ${inputs.length} produced after /readyz: ${lost.slice(0, 5).join(', ')}`).toBe(0);
    await waitCommittedAtEnd(admin, s.group, [s.input], 30_000);
    second.signal('SIGTERM');
    expect((await second.exit(30_000)).code).toBe(0);
  });

  it('reads a partition added to an input topic later from its beginning, once a rebalance hands it out', { timeout: 150_000 }, async () => {
    const s = await scenario('fresh-grow', 1);
    const file = configFor(s);
    const collector = await reader([s.enriched]);

    const first = start(file);
    await waitReady(first);
    const before = events('fresh-grow-p0', 40, ADDRESSES, 0);
    await producer.send({ topic: s.input, acks: -1, messages: before });
    await admin.createPartitions({ topicPartitions: [{ topic: s.input, count: 2 }] });
    // Produced to the new partition before any member of the group has it: still after /readyz.
    const added = events('fresh-grow-p1', 60, ADDRESSES, 1);
    // A producer of its own: one that knew the topic before would not know the new partition yet.
    const fresh = kafka.producer();
    await fresh.connect();
    cleanups.push(() => fresh.disconnect());
    await retrying('producing to the added partition', () => fresh.send({ topic: s.input, acks: -1, messages: added }));
    const ends = await admin.fetchTopicOffsets(s.input);
    expect(ends.map((e) => [e.partition, e.high]).sort()).toEqual([[0, '40'], [1, '60']]);

    // A second member joining makes the group rebalance, and the assignment names the new partition.
    const second = start(file);
    await waitReady(second);
    await waitReady(first);
    const inputs = [...before, ...added];
    const lost = await lostAfter(collector, s, inputs, 60_000);
    expect(lost.length, `events lost of ${inputs.length}: ${lost.slice(0, 5).join(', ')}`).toBe(0);
    const gaps = await waitCommittedAtEnd(admin, s.group, [s.input], 30_000);
    expect(gaps.map((g) => g.partition).sort()).toEqual([0, 1]);
    second.signal('SIGTERM');
    first.signal('SIGTERM');
    expect((await second.exit(30_000)).code).toBe(0);
    expect((await first.exit(30_000)).code).toBe(0);
  });

  it('after a rebalance each member exports consumer lag only for the partitions it holds', { timeout: 150_000 }, async () => {
    const s = await scenario('lag-series', 2);
    const file = configFor(s);
    const collector = await reader([s.enriched]);
    const lagPartitions = async (ops: string): Promise<string[]> => {
      const text = await (await fetch(`${ops}/metrics`)).text();
      const series = text.split('\n').filter((l) => l.startsWith('iprisk_consumer_lag_records{') && l.includes(`topic="${s.input}"`));
      return series.map((l) => /partition="(\d+)"/.exec(l)?.[1] ?? '?').sort();
    };

    const first = start(file);
    const firstOps = await waitReady(first);
    const before = [...events('lag-a0', 20, ADDRESSES, 0), ...events('lag-a1', 20, ADDRESSES, 1)];
    await producer.send({ topic: s.input, acks: -1, messages: before });
    expect(await lostAfter(collector, s, before, 40_000)).toEqual([]);
    await waitFor('lag of both partitions on the only member', async () => ((await lagPartitions(firstOps)).join() === '0,1' ? true : undefined), { timeoutMs: 20_000 });

    const second = start(file);
    const secondOps = await waitReady(second);
    await waitReady(first);
    const after = [...events('lag-b0', 20, ADDRESSES, 0), ...events('lag-b1', 20, ADDRESSES, 1)];
    await producer.send({ topic: s.input, acks: -1, messages: after });
    expect(await lostAfter(collector, s, after, 40_000)).toEqual([]);
    // Each member now holds one partition: a revoked partition's last value must not linger on
    // the member it left, where a sum over the fleet would count it twice.
    await waitFor(
      'one lag series per partition across the group',
      async () => {
        const [a, b] = await Promise.all([lagPartitions(firstOps), lagPartitions(secondOps)]);
        return a.length === 1 && b.length === 1 && [...a, ...b].sort().join() === '0,1' ? true : undefined;
      },
      { timeoutMs: 30_000, describe: () => 'lag series did not split one per member' },
    );
    second.signal('SIGTERM');
    first.signal('SIGTERM');
    expect((await second.exit(30_000)).code).toBe(0);
    expect((await first.exit(30_000)).code).toBe(0);
  });
});
