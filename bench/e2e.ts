/**
 * `npm run bench:e2e` (`--quick` for a short run): `iprisk run` against a real broker and
 * registry, next to a kafkajs passthrough measured in the same run. What each figure means:
 * bench/README.md.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Producer } from 'kafkajs';
import { writeSnapshot } from '../src/range-index/snapshot.js';
import type { LatencyFigures } from './e2e/latency.js';
import { measureLatency } from './e2e/latency.js';
import type { EventPool } from './e2e/load.js';
import { generateEvents, preProduce } from './e2e/load.js';
import type { E2eOptions } from './e2e/options.js';
import { parseE2eOptions } from './e2e/options.js';
import type { Side, StageSeconds } from './e2e/protocol.js';
import type { BenchStack } from './e2e/stack.js';
import { ensureBenchStack } from './e2e/stack.js';
import type { ThroughputContext, ThroughputRound } from './e2e/throughput.js';
import { throughputRound } from './e2e/throughput.js';
import { runCleanup } from './e2e/leftovers.js';
import { RunTopics, endOffsets } from './e2e/topics.js';
import { buildRealIndex } from './lib/indexes.js';
import { median, nowMs } from './lib/measure.js';
import type { Row } from './lib/report.js';
import { aim, count, mib, rate, ratio, table } from './lib/report.js';

const started = nowMs();
const log = (line: string): void => {
  process.stderr.write(`[bench:e2e ${((nowMs() - started) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);
};

const percent = (a: number, b: number): string => `${((100 * a) / b).toFixed(0)}%`;
const millis = (value: number): string => `${value.toFixed(value >= 100 ? 0 : 1)} ms`;

function machine(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `node ${process.version}, ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, load average ${load}`;
}

interface SideThroughput {
  rounds: ThroughputRound[];
  /** Median events per wall-clock second. */
  wall: number;
  /** Median events per CPU-second of the consumer process. */
  cpu: number;
  /** Median cores the broker JVM kept busy during a round, when known. */
  brokerCores: number | undefined;
}

function summarise(rounds: ThroughputRound[], events: number): SideThroughput {
  const broker = rounds.map((r) => r.brokerCpuMs).filter((b): b is number => b !== undefined);
  return {
    rounds,
    wall: median(rounds.map((r) => events / (r.wallMs / 1000))),
    cpu: median(rounds.map((r) => events / (r.cpuMs / 1000))),
    brokerCores: broker.length === rounds.length ? median(rounds.map((r) => r.brokerCpuMs! / r.wallMs)) : undefined,
  };
}

function stageNote(rounds: readonly ThroughputRound[]): string[] {
  const all = rounds.map((r) => r.stages).filter((s): s is StageSeconds => s !== undefined);
  if (all.length === 0) return [];
  const sum = (k: keyof StageSeconds): number => all.reduce((n, s) => n + s[k], 0);
  const stages = { decode: sum('decode'), enrich: sum('enrich'), encode: sum('encode'), 'produce+commit': sum('produceCommit') };
  const total = Object.values(stages).reduce((a, b) => a + b, 0);
  const parts = Object.entries(stages).map(([k, v]) => `${k} ${((100 * v) / total).toFixed(0)}%`);
  return [
    `iprisk batch time by stage (its own stage histogram, all rounds; 2 partitions' batches run at once): ${parts.join(', ')}`,
    `iprisk batches: ${count(sum('batches'))} for ${count(sum('events'))} events (${(sum('events') / sum('batches')).toFixed(0)} a batch); alerts emitted ${count(sum('alerts'))}; dead letters ${count(sum('dlq'))}`,
  ];
}

function throughputRows(events: number, ours: SideThroughput, eos: SideThroughput, base: SideThroughput): Row[] {
  const rows: Row[] = [
    {
      figure: `${count(events)} events, wall clock (events/s)`,
      iprisk: rate(ours.wall),
      baseline: rate(base.wall),
      ratio: percent(ours.wall, base.wall),
      aim: aim('>= 80%', ours.wall / base.wall, 0.8),
    },
    {
      figure: 'events per CPU-second of the consumer process',
      iprisk: rate(ours.cpu),
      baseline: rate(base.cpu),
      ratio: percent(ours.cpu, base.cpu),
      aim: '',
    },
    {
      figure: 'exactly_once: wall clock (events/s)',
      iprisk: rate(eos.wall),
      baseline: rate(base.wall),
      ratio: percent(eos.wall, base.wall),
      aim: 'none: reported beside the at-least-once figure',
    },
    {
      figure: 'exactly_once: events per CPU-second',
      iprisk: rate(eos.cpu),
      baseline: rate(base.cpu),
      ratio: percent(eos.cpu, base.cpu),
      aim: '',
    },
  ];
  if (ours.brokerCores !== undefined && base.brokerCores !== undefined) {
    // Per wall second, not per event: much of the broker's work (long polls, heartbeats, the
    // bench's offset polling) goes on at a steady pace, so a longer round would look dearer.
    rows.push({
      figure: 'broker CPU during a round (cores busy)',
      iprisk: ours.brokerCores.toFixed(2),
      baseline: base.brokerCores.toFixed(2),
      ratio: ratio(ours.brokerCores / base.brokerCores),
      aim: '',
    });
  }
  return rows;
}

function latencyRows(ours: LatencyFigures, base: LatencyFigures): Row[] {
  const row = (label: string, a: number, b: number): Row => ({ figure: label, iprisk: millis(a), baseline: millis(b), ratio: ratio(a / b), aim: '' });
  return [row('p50', ours.p50, base.p50), row('p90', ours.p90, base.p90), row('p99', ours.p99, base.p99), row('max', ours.max, base.max)];
}

function summary(options: E2eOptions, events: number, ours: SideThroughput, eos: SideThroughput, base: SideThroughput, latOurs: LatencyFigures, latBase: LatencyFigures): string {
  const lines = [
    `| figure (median, wall clock, 2 cores shared with the broker${options.quick ? ', --quick' : ''}) | iprisk | kafkajs passthrough | iprisk / passthrough |`,
    '| --- | ---: | ---: | ---: |',
    `| throughput, ${count(events)} events, JSON in, Avro out (events/s) | ${rate(ours.wall)} | ${rate(base.wall)} | ${percent(ours.wall, base.wall)} |`,
    `| events per CPU-second of the consumer process | ${rate(ours.cpu)} | ${rate(base.cpu)} | ${percent(ours.cpu, base.cpu)} |`,
    `| throughput with exactly_once (events/s) | ${rate(eos.wall)} | ${rate(base.wall)} | ${percent(eos.wall, base.wall)} |`,
    `| latency at ${count(options.ratePerSec)} events/s, p50 | ${millis(latOurs.p50)} | ${millis(latBase.p50)} | ${ratio(latOurs.p50 / latBase.p50)} |`,
    `| latency at ${count(options.ratePerSec)} events/s, p99 | ${millis(latOurs.p99)} | ${millis(latBase.p99)} | ${ratio(latOurs.p99 / latBase.p99)} |`,
    `| latency at ${count(options.ratePerSec)} events/s, max | ${millis(latOurs.max)} | ${millis(latBase.max)} | ${ratio(latOurs.max / latBase.max)} |`,
  ];
  return lines.join('\n');
}

interface Clients {
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
}

async function connect(stack: BenchStack): Promise<Clients> {
  const kafka = new Kafka({ clientId: 'bench-e2e', brokers: stack.brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 } });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  return { kafka, admin, producer };
}

async function runThroughput(ctx: ThroughputContext, options: E2eOptions): Promise<Record<Side, ThroughputRound[]>> {
  const rounds: Record<Side, ThroughputRound[]> = { iprisk: [], 'iprisk-eos': [], passthrough: [] };
  for (let r = 0; r < options.rounds; r++) {
    // Alternating order, so no side always runs on the broker's warmer caches.
    const order: Side[] = r % 2 === 0 ? ['passthrough', 'iprisk', 'iprisk-eos'] : ['iprisk-eos', 'iprisk', 'passthrough'];
    for (const side of order) {
      const result = await throughputRound(ctx, side, r);
      rounds[side].push(result);
      log(
        `throughput round ${r + 1}/${options.rounds}, ${side}: ${rate(ctx.events / (result.wallMs / 1000))} wall, ${rate(ctx.events / (result.cpuMs / 1000))} per CPU-second (${(result.wallMs / 1000).toFixed(1)} s; start-up ${(result.startupMs / 1000).toFixed(1)} s)`,
      );
    }
  }
  return rounds;
}

/** What a run leaves behind until its end: removed by the `finally` of main, or on Ctrl-C. */
const { leftovers, cleanUp, cleanUpOnInterrupt } = runCleanup(log);

async function main(): Promise<void> {
  const options = parseE2eOptions(process.argv.slice(2));
  const startMachine = machine();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'iprisk-bench-e2e-'));
  leftovers.tmp = tmp;
  cleanUpOnInterrupt();
  try {
    log('finding or starting the Kafka broker and schema registry (scripts/stack.js)');
    const stack = await ensureBenchStack(log);
    leftovers.stack = stack;
    log(`broker ${stack.brokers.join(',')}, registry ${stack.registryUrl}${stack.started.length > 0 ? ` (started here: ${stack.started.join(', ')})` : ' (already running)'}`);

    log('building the index from the real feeds in ../shared/data');
    const real = await buildRealIndex();
    const snapshot = path.join(tmp, 'real-feeds.snap');
    await writeSnapshot(snapshot, real.data);
    log(`real-feed index: ${count(real.data.stats.rangesV4)} IPv4 + ${count(real.data.stats.rangesV6)} IPv6 ranges`);
    const pool: EventPool = await generateEvents(path.join(tmp, 'access.jsonl'), options.events, real.data);
    log(`${count(options.events)} access events, ${mib(pool.bytes)} of JSON`);

    const clients = await connect(stack);
    leftovers.clients = clients;
    const topics = new RunTopics(clients.admin, stack.registryUrl);
    leftovers.topics = topics;
    const input = topics.name('in');
    await topics.create([input], options.partitions);
    const produceStart = nowMs();
    await preProduce(clients.producer, input, pool);
    const ends = await endOffsets(clients.admin, input);
    log(`pre-produced ${count(options.events)} events to ${input} (${options.partitions} partitions) in ${((nowMs() - produceStart) / 1000).toFixed(1)} s`);

    const ctx: ThroughputContext = {
      admin: clients.admin,
      topics,
      brokers: stack.brokers,
      registryUrl: stack.registryUrl,
      snapshot,
      input,
      ends,
      events: options.events,
      partitions: options.partitions,
      kafkaPid: stack.kafkaPid,
    };
    const rounds = await runThroughput(ctx, options);
    const ours = summarise(rounds.iprisk, options.events);
    const eos = summarise(rounds['iprisk-eos'], options.events);
    const base = summarise(rounds.passthrough, options.events);

    const latCtx = {
      kafka: clients.kafka,
      producer: clients.producer,
      topics,
      brokers: stack.brokers,
      registryUrl: stack.registryUrl,
      snapshot,
      pool,
      partitions: options.partitions,
      ratePerSec: options.ratePerSec,
      warmupSecs: options.warmupSecs,
      measureSecs: options.measureSecs,
    };
    const latency: Partial<Record<Side, LatencyFigures>> = {};
    for (const side of ['passthrough', 'iprisk'] as const) {
      log(`latency, ${side}: ${count(options.ratePerSec)} events/s for ${options.warmupSecs} + ${options.measureSecs} s`);
      const figures = await measureLatency(latCtx, side);
      latency[side] = figures;
      log(`latency, ${side}: p50 ${millis(figures.p50)}, p99 ${millis(figures.p99)}, max ${millis(figures.max)} over ${count(figures.measured)} records`);
    }
    const latOurs = latency.iprisk!;
    const latBase = latency.passthrough!;

    const out: string[] = [];
    out.push(`iprisk end-to-end benchmark${options.quick ? ' (--quick)' : ''}`);
    out.push(`  ${startMachine}`);
    out.push(`  broker ${stack.brokers.join(',')} (Kafka 4.4, 1 broker), registry ${stack.registryUrl}; the broker, the registry and the consumer share the machine's cores`);
    out.push('');
    const roundsOf = (side: Side): string => rounds[side].map((r) => rate(options.events / (r.wallMs / 1000))).join(', ');
    out.push(
      table('1. Throughput: pre-produced input, from group joined to end offsets committed', throughputRows(options.events, ours, eos, base), [
        `input: ${count(options.events)} JSON access events (${mib(pool.bytes)}), ${options.partitions} partitions; each round a fresh consumer process and group reads it from the start`,
        'iprisk: startRun (iprisk run) with the real-feed index snapshot, Avro output via the registry, default alert rules; baseline: kafkajs consumer group re-producing each record unchanged',
        'both: idempotent producer, acks=all, produce a batch then commit its offsets, 2 partitions at a time, output topics of the same partition count',
        `rounds (events/s, wall clock): passthrough ${roundsOf('passthrough')}; iprisk ${roundsOf('iprisk')}; iprisk exactly_once ${roundsOf('iprisk-eos')}`,
        'exactly_once: the same iprisk with kafka.exactly_once (each batch\'s outputs and offsets in one transaction, one partition at a time), against the same at-least-once passthrough',
        'wall clock is the headline: on 2 cores the broker competes for CPU, so the consumer CPU rate is printed as well',
        `start-up to joined (median): passthrough ${(median(base.rounds.map((r) => r.startupMs)) / 1000).toFixed(1)} s, iprisk ${(median(ours.rounds.map((r) => r.startupMs)) / 1000).toFixed(1)} s (not timed)`,
        ...stageNote(ours.rounds),
      ]),
    );
    out.push(
      table(`2. Latency at ${count(options.ratePerSec)} events/s (lower is better)`, latencyRows(latOurs, latBase), [
        `send time (header, at the producer) to the output record's broker append time (LogAppendTime topic); ${options.warmupSecs} s of warm-up, then ${options.measureSecs} s counted`,
        `records counted: passthrough ${count(latBase.measured)}, iprisk ${count(latOurs.measured)}; rate achieved: passthrough ${rate(latBase.achievedRate)}, iprisk ${rate(latOurs.achievedRate)}`,
        `send to receipt by the reader (adds its fetch): passthrough p50 ${millis(latBase.receiptP50)} / p99 ${millis(latBase.receiptP99)}; iprisk p50 ${millis(latOurs.receiptP50)} / p99 ${millis(latOurs.receiptP99)}`,
      ]),
    );
    out.push('3. Summary (markdown)');
    out.push('');
    out.push(summary(options, options.events, ours, eos, base, latOurs, latBase));
    out.push('');
    out.push(`  ${machine()} at the end; ${((nowMs() - started) / 1000).toFixed(0)} s in all`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await cleanUp();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:e2e failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
