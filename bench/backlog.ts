/**
 * `npm run bench:backlog`: does `iprisk run` work through a large backlog with bounded memory?
 * A million JSON access events (BACKLOG_EVENTS) are produced to an input topic before any
 * consumer starts; then the built CLI (`node bin/iprisk.js run`) drains them, and its resident
 * memory is sampled from /proc every 250 ms until the enriched topic holds every event. A
 * kafkajs consumer group that only copies each batch to another topic (the passthrough of
 * `bench:e2e`) drains the same backlog in the same run, as the baseline. What the figures mean:
 * bench/README.md.
 *
 *   BACKLOG_EVENTS      events produced (default 1000000)
 *   BACKLOG_PARTITIONS  partitions of the input and output topics (default 3)
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Message, Producer } from 'kafkajs';
import { PACKAGE_ROOT } from '../src/paths.js';
import { decodeSnapshotData } from '../src/range-index/snapshot.js';
import type { Side, SutArgs } from './e2e/protocol.js';
import type { BenchStack } from './e2e/stack.js';
import { ensureBenchStack, processCpuMs } from './e2e/stack.js';
import { SutProcess } from './e2e/sut.js';
import { runCleanup } from './e2e/leftovers.js';
import { RunTopics, committedAtEnd, endOffsets } from './e2e/topics.js';
import { writeAccessLog } from './lib/events.js';
import { SHARED_DATA_CONFIG } from './lib/indexes.js';
import { nowMs } from './lib/measure.js';
import { Prng } from './lib/prng.js';
import type { Row } from './lib/report.js';
import { count, mib, rate, ratio, table } from './lib/report.js';

const started = nowMs();
const log = (line: string): void => {
  process.stderr.write(`[bench:backlog ${((nowMs() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
};

const IPRISK_CLI = path.join(PACKAGE_ROOT, 'bin', 'iprisk.js');
const SAMPLE_MS = 250;
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 60_000;
/** Messages per produce request: about 0.8 MB, under the broker's 1 MB batch limit per partition once split by partition. */
const PRODUCE_CHUNK = 3000;
const PRODUCE_IN_FLIGHT = 6;
/** The progress points at which the resident memory is reported, to show whether it plateaus. */
const QUARTERS = [0.25, 0.5, 0.75, 1] as const;

function positiveIntEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}=${JSON.stringify(raw)} is not a positive integer`);
  return value;
}

function machine(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `node ${process.version}, ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, load average ${load}`;
}

/** VmRSS and VmHWM (peak RSS over the process's life) in bytes, from /proc; undefined once the process is gone. */
function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    const rss = kib('VmRSS');
    const hwm = kib('VmHWM');
    return Number.isFinite(rss) && Number.isFinite(hwm) ? { rss: rss * 1024, hwm: hwm * 1024 } : undefined;
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP port to listen on');
  return address.port;
}

/** Runs the built CLI to completion, as an operator would; its stderr is shown when it fails. */
function runCli(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [IPRISK_CLI, ...args], { cwd: PACKAGE_ROOT, env: cliEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-8000)));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`iprisk ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr.trimEnd()}`));
    });
  });
}

/**
 * The environment of the iprisk processes: this one's without IPRISK_* variables, which
 * `iprisk run` would read as configuration overrides (and refuse when unknown), so the run is
 * the configuration file's alone; logs at warn, so the log volume stays out of the figures.
 */
function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('IPRISK_')) env[k] = v;
  env.IPRISK_LOG_LEVEL = 'warn';
  return env;
}

interface Clients {
  admin: Admin;
  producer: Producer;
}

async function connect(stack: BenchStack): Promise<Clients> {
  const kafka = new Kafka({ clientId: 'bench-backlog', brokers: stack.brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 } });
  const admin = kafka.admin();
  await admin.connect();
  // Not idempotent and acks=1: the backlog only has to be there before the consumers start, fast.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return { admin, producer };
}

/** Produces the JSONL file's events to `topic`, keyed by request_id, a few large requests in flight. */
async function produceFile(producer: Producer, topic: string, file: string): Promise<number> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  const inFlight = new Set<Promise<unknown>>();
  let failure: unknown;
  let produced = 0;
  let messages: Message[] = [];
  const flush = async (): Promise<void> => {
    const batch = messages;
    messages = [];
    const sent: Promise<unknown> = producer
      .send({ topic, acks: 1, messages: batch })
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => inFlight.delete(sent));
    inFlight.add(sent);
    produced += batch.length;
    if (inFlight.size >= PRODUCE_IN_FLIGHT) await Promise.race(inFlight);
  };
  for await (const line of lines) {
    if (line === '') continue;
    const id = /"request_id":"([0-9a-f]+)"/.exec(line)?.[1];
    if (id === undefined) throw new Error(`generated event without a request_id: ${line}`);
    messages.push({ key: id, value: line });
    if (messages.length >= PRODUCE_CHUNK) await flush();
    if (failure !== undefined) break;
  }
  if (messages.length > 0 && failure === undefined) await flush();
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(`producing to ${topic} failed: ${JSON.stringify(failure)}`);
  return produced;
}

interface Sample {
  /** Milliseconds since the consumer was ready. */
  atMs: number;
  rss: number;
  /** Records in the output topic at the last poll. */
  out: number;
}

interface Drain {
  side: Side;
  events: number;
  startupMs: number;
  drainMs: number;
  /** CPU milliseconds of the consumer process from ready to drained, when /proc tells. */
  cpuMs: number | undefined;
  rssAtReady: number;
  rssPeakSampled: number;
  /** VmHWM when drained: the peak over the whole life of the process, start-up included. */
  hwm: number;
  rssAtEnd: number;
  /** RSS at the first sample at or past each quarter of the drain, and the peak within that quarter. */
  quarters: { at: number; rss: number; peakInQuarter: number }[];
  samples: number;
  outputRecords: number;
  exitCode: number | null;
}

/** A consumer process being measured: how to learn it is ready, and how to stop it. */
interface Consumer {
  pid: number;
  readyAtMs: number;
  startupMs: number;
  stop(): Promise<number | null>;
  kill(): void;
}

/** `iprisk run -c FILE`, the built CLI; ready when /readyz says 200. */
async function startIprisk(config: string, port: number): Promise<Consumer> {
  const began = Date.now();
  const child = spawn(process.execPath, [IPRISK_CLI, 'run', '-c', config], { cwd: PACKAGE_ROOT, env: cliEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-8000)));
  const exit = exitOf(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`iprisk run did not start:\n${stderr}`);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`iprisk run exited before it was ready; its stderr ends:\n${stderr.trimEnd()}`);
    const status = await fetch(`http://127.0.0.1:${port}/readyz`)
      .then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      })
      .catch(() => 0);
    if (status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`iprisk run was not ready within ${READY_TIMEOUT_MS / 1000} s; its stderr ends:\n${stderr.trimEnd()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const readyAtMs = Date.now();
  return {
    pid,
    readyAtMs,
    startupMs: readyAtMs - began,
    async stop() {
      // SIGTERM is how an operator stops it: the batch in flight is finished and committed.
      child.kill('SIGTERM');
      const code = await withTimeout(exit, STOP_TIMEOUT_MS, () => child.kill('SIGKILL'));
      if (code !== 0) log(`iprisk run exited with ${String(code)}; its stderr ends:\n${stderr.trimEnd()}`);
      return code;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

/** The passthrough of bench:e2e in its own process (bench/e2e/sut-child.ts), spoken to over IPC. */
async function startPassthrough(args: SutArgs): Promise<Consumer> {
  const { sut, readyAtMs, startupMs } = await SutProcess.start(args);
  const pid = sut.pid;
  if (pid === undefined) {
    await sut.kill();
    throw new Error('the passthrough process did not start');
  }
  return {
    pid,
    readyAtMs,
    startupMs,
    stop: async () => (await sut.stop()).exitCode,
    kill: () => {
      void sut.kill();
    },
  };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => { resolve(code); }));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  const timer = setTimeout(onTimeout, ms);
  try {
    return await promise;
  } finally {
    clearTimeout(timer);
  }
}

async function outputCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

/**
 * Samples the consumer's RSS every SAMPLE_MS and polls the output topic's end offsets at the
 * same pace, from ready until the output holds `events` records.
 */
async function drain(admin: Admin, side: Side, consumer: Consumer, output: string, events: number): Promise<Omit<Drain, 'exitCode' | 'outputRecords'>> {
  const samples: Sample[] = [];
  let out = 0;
  const first = memoryOf(consumer.pid);
  if (first === undefined) throw new Error(`${side}: process ${consumer.pid} is gone`);
  samples.push({ atMs: Date.now() - consumer.readyAtMs, rss: first.rss, out });
  const cpuAtReady = processCpuMs(consumer.pid);
  const sampler = setInterval(() => {
    const m = memoryOf(consumer.pid);
    if (m !== undefined) samples.push({ atMs: Date.now() - consumer.readyAtMs, rss: m.rss, out });
  }, SAMPLE_MS);
  // A slow machine may drain at a few thousand a second; past this the run is broken, not slow.
  const deadline = Date.now() + 120_000 + events;
  let nextReport = 0.1;
  try {
    for (;;) {
      out = await outputCount(admin, output);
      if (out >= events) break;
      if (out / events >= nextReport) {
        const m = memoryOf(consumer.pid);
        log(`${side}: ${count(out)} of ${count(events)} (${(100 * nextReport).toFixed(0)}%) after ${((Date.now() - consumer.readyAtMs) / 1000).toFixed(1)} s, RSS ${m ? mib(m.rss) : '?'}`);
        while (out / events >= nextReport) nextReport += 0.1;
      }
      if (memoryOf(consumer.pid) === undefined) throw new Error(`${side}: the consumer process exited with ${count(out)} of ${count(events)} records drained`);
      if (Date.now() > deadline) throw new Error(`${side}: only ${count(out)} of ${count(events)} records drained in ${((Date.now() - consumer.readyAtMs) / 1000).toFixed(0)} s`);
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    }
  } finally {
    clearInterval(sampler);
  }
  const drainMs = Date.now() - consumer.readyAtMs;
  const cpuAtEnd = processCpuMs(consumer.pid);
  const end = memoryOf(consumer.pid);
  if (end === undefined) throw new Error(`${side}: process ${consumer.pid} is gone`);
  samples.push({ atMs: drainMs, rss: end.rss, out });
  const quarters = QUARTERS.map((q, i) => {
    const from = i === 0 ? 0 : QUARTERS[i - 1]! * events;
    const at = samples.find((s) => s.out >= q * events) ?? samples.at(-1)!;
    const inQuarter = samples.filter((s) => s.out >= from && s.out <= q * events);
    return { at: q, rss: at.rss, peakInQuarter: Math.max(...inQuarter.map((s) => s.rss), at.rss) };
  });
  return {
    side,
    events,
    startupMs: consumer.startupMs,
    drainMs,
    cpuMs: cpuAtReady !== undefined && cpuAtEnd !== undefined ? cpuAtEnd - cpuAtReady : undefined,
    rssAtReady: first.rss,
    rssPeakSampled: Math.max(...samples.map((s) => s.rss)),
    hwm: end.hwm,
    rssAtEnd: end.rss,
    quarters,
    samples: samples.length,
  };
}

interface Context {
  clients: Clients;
  topics: RunTopics;
  stack: BenchStack;
  input: string;
  ends: ReadonlyMap<number, bigint>;
  events: number;
  partitions: number;
  snapshot: string;
  tmp: string;
}

async function measureSide(ctx: Context, side: Side): Promise<Drain> {
  const output = ctx.topics.name(`backlog-${side}-out`);
  const alerts = ctx.topics.name(`backlog-${side}-alerts`);
  const dlq = ctx.topics.name(`backlog-${side}-dlq`);
  const group = ctx.topics.group(`backlog-${side}`);
  await ctx.topics.create([output], ctx.partitions, { avroSubjects: side === 'iprisk' });
  let consumer: Consumer;
  if (side === 'iprisk') {
    await ctx.topics.create([alerts], 1, { avroSubjects: true });
    await ctx.topics.create([dlq], 1);
    const port = await freePort();
    const config = path.join(ctx.tmp, 'iprisk.yaml');
    // JSON is YAML: the same configuration as bench:e2e's iprisk side, as a file for the CLI.
    const settings = {
      kafka: { brokers: ctx.stack.brokers, client_id: 'bench-backlog', group_id: group, start_from: 'earliest' },
      schema_registry: { url: ctx.stack.registryUrl },
      index: { path: ctx.snapshot, watch: false },
      inputs: [{ topic: ctx.input, kind: 'access', format: 'json' }],
      outputs: { enriched: { topic: output, format: 'avro' }, alerts: { topic: alerts, format: 'avro' }, dlq: { topic: dlq } },
      http: { host: '127.0.0.1', port },
    };
    writeFileSync(config, `${JSON.stringify(settings, null, 2)}\n`);
    log(`iprisk: node bin/iprisk.js run -c ${config}`);
    consumer = await startIprisk(config, port);
  } else {
    log('passthrough: dist/bench/e2e/sut-child.js (a kafkajs consumer group copying each batch)');
    consumer = await startPassthrough({
      side,
      brokers: ctx.stack.brokers,
      registryUrl: ctx.stack.registryUrl,
      snapshot: ctx.snapshot,
      input: ctx.input,
      output,
      alerts,
      dlq,
      group,
    });
  }
  try {
    log(`${side}: ready after ${(consumer.startupMs / 1000).toFixed(1)} s, RSS ${mib(memoryOf(consumer.pid)?.rss ?? NaN)}; draining ${count(ctx.events)} events`);
    const figures = await drain(ctx.clients.admin, side, consumer, output, ctx.events);
    const exitCode = await consumer.stop();
    const outputRecords = await outputCount(ctx.clients.admin, output);
    if (!(await committedAtEnd(ctx.clients.admin, group, ctx.input, ctx.ends))) log(`${side}: warning: the group had not committed every end offset when it stopped`);
    log(
      `${side}: drained in ${(figures.drainMs / 1000).toFixed(1)} s (${rate(ctx.events / (figures.drainMs / 1000))}), peak RSS ${mib(figures.hwm)}, exit ${String(exitCode)}`,
    );
    return { ...figures, outputRecords, exitCode };
  } finally {
    consumer.kill();
  }
}

/** What a run leaves behind until its end: removed by the `finally` of main, or on Ctrl-C. */
const { leftovers, cleanUp, cleanUpOnInterrupt } = runCleanup(log);

const MiB = (bytes: number): number => Math.round((10 * bytes) / 1024 / 1024) / 10;

function rows(ours: Drain, base: Drain): Row[] {
  const memRow = (figure: string, a: number, b: number): Row => ({ figure, iprisk: mib(a), baseline: mib(b), ratio: ratio(a / b), aim: '' });
  const wall = (d: Drain): number => d.events / (d.drainMs / 1000);
  const list: Row[] = [
    { figure: 'drain time, ready to the last output record', iprisk: `${(ours.drainMs / 1000).toFixed(1)} s`, baseline: `${(base.drainMs / 1000).toFixed(1)} s`, ratio: ratio(ours.drainMs / base.drainMs), aim: '' },
    { figure: 'events per wall-clock second', iprisk: rate(wall(ours)), baseline: rate(wall(base)), ratio: ratio(wall(ours) / wall(base)), aim: '' },
  ];
  if (ours.cpuMs !== undefined && base.cpuMs !== undefined) {
    const cpu = (d: Drain): number => d.events / (d.cpuMs! / 1000);
    list.push({ figure: 'events per CPU-second of the consumer process', iprisk: rate(cpu(ours)), baseline: rate(cpu(base)), ratio: ratio(cpu(ours) / cpu(base)), aim: '' });
  }
  list.push(
    memRow('peak RSS (VmHWM, whole life)', ours.hwm, base.hwm),
    memRow(`peak RSS sampled every ${SAMPLE_MS} ms while draining`, ours.rssPeakSampled, base.rssPeakSampled),
    memRow('RSS at ready (before consuming much)', ours.rssAtReady, base.rssAtReady),
  );
  for (let i = 0; i < QUARTERS.length; i++) {
    const pct = `${(100 * QUARTERS[i]!).toFixed(0)}%`;
    list.push(memRow(`RSS at ${pct} drained (peak in that quarter)`, ours.quarters[i]!.rss, base.quarters[i]!.rss));
    list[list.length - 1]!.iprisk += ` (${mib(ours.quarters[i]!.peakInQuarter)})`;
    list[list.length - 1]!.baseline += ` (${mib(base.quarters[i]!.peakInQuarter)})`;
  }
  list.push(memRow('RSS at end', ours.rssAtEnd, base.rssAtEnd));
  return list;
}

function jsonFigures(d: Drain): Record<string, unknown> {
  return {
    drain_secs: Math.round(d.drainMs / 100) / 10,
    events_per_sec: Math.round(d.events / (d.drainMs / 1000)),
    events_per_cpu_sec: d.cpuMs === undefined ? null : Math.round(d.events / (d.cpuMs / 1000)),
    startup_secs: Math.round(d.startupMs / 100) / 10,
    peak_rss_mib: MiB(d.hwm),
    peak_rss_sampled_mib: MiB(d.rssPeakSampled),
    rss_at_ready_mib: MiB(d.rssAtReady),
    rss_at_end_mib: MiB(d.rssAtEnd),
    rss_at_quarters_mib: d.quarters.map((q) => MiB(q.rss)),
    peak_rss_in_quarters_mib: d.quarters.map((q) => MiB(q.peakInQuarter)),
    output_records: d.outputRecords,
    samples: d.samples,
    exit_code: d.exitCode,
  };
}

async function main(): Promise<void> {
  const events = positiveIntEnv('BACKLOG_EVENTS', 1_000_000);
  const partitions = positiveIntEnv('BACKLOG_PARTITIONS', 3);
  const startMachine = machine();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'iprisk-bench-backlog-'));
  leftovers.tmp = tmp;
  cleanUpOnInterrupt();
  try {
    log('finding or starting the Kafka broker and schema registry (scripts/stack.js)');
    const stack = await ensureBenchStack(log);
    leftovers.stack = stack;
    log(`broker ${stack.brokers.join(',')}, registry ${stack.registryUrl}${stack.started.length > 0 ? ` (started here: ${stack.started.join(', ')})` : ' (already running)'}`);

    const snapshot = path.join(tmp, 'real-feeds.snap');
    log(`building the real-feed index: node bin/iprisk.js index build -c ${path.relative(PACKAGE_ROOT, SHARED_DATA_CONFIG)}`);
    await runCli(['index', 'build', '-c', SHARED_DATA_CONFIG, '-o', snapshot]);
    const index = decodeSnapshotData(readFileSync(snapshot), snapshot);
    log(`real-feed index: ${count(index.stats.rangesV4)} IPv4 + ${count(index.stats.rangesV6)} IPv6 ranges`);

    // The generator of bench:e2e and the file-mode figure, with their seed: index hits, unknown
    // public, private, IPv6 and malformed addresses, drawn with a skew from pools of 20,000.
    const eventsFile = path.join(tmp, 'access.jsonl');
    const bytes = await writeAccessLog(eventsFile, events, index, new Prng(0x5eed_e7e7));
    log(`${count(events)} access events, ${mib(bytes)} of JSON`);

    const clients = await connect(stack);
    leftovers.clients = clients;
    const topics = new RunTopics(clients.admin, stack.registryUrl);
    leftovers.topics = topics;
    const input = topics.name('backlog-in');
    await topics.create([input], partitions);
    const produceStart = nowMs();
    const produced = await produceFile(clients.producer, input, eventsFile);
    rmSync(eventsFile);
    const ends = await endOffsets(clients.admin, input);
    const inTopic = [...ends.values()].reduce((n, e) => n + Number(e), 0);
    if (produced !== events || inTopic !== events) throw new Error(`produced ${produced} events, the input topic holds ${inTopic}, wanted ${events}`);
    const produceSecs = (nowMs() - produceStart) / 1000;
    log(`produced ${count(events)} events to ${input} (${partitions} partitions, acks=1) in ${produceSecs.toFixed(1)} s (${rate(events / produceSecs)})`);

    const ctx: Context = { clients, topics, stack, input, ends, events, partitions, snapshot, tmp };
    const base = await measureSide(ctx, 'passthrough');
    const ours = await measureSide(ctx, 'iprisk');

    const out: string[] = [];
    out.push(`iprisk backlog benchmark: ${count(events)} events`);
    out.push(`  ${startMachine}`);
    out.push(`  broker ${stack.brokers.join(',')} (1 broker), registry ${stack.registryUrl}; the broker, the registry and the consumer share the machine's cores`);
    out.push('');
    out.push(
      table(`Draining a backlog of ${count(events)} events (pre-produced, ${partitions} partitions)`, rows(ours, base), [
        `input: ${count(events)} JSON access events (${mib(bytes)}), produced before either consumer started; output topics of ${partitions} partitions`,
        'iprisk: node bin/iprisk.js run, real-feed index snapshot, JSON in, Avro out via the registry, default alert rules and fetch sizes, start_from earliest',
        'baseline: kafkajs consumer group copying each batch unchanged (bench:e2e passthrough), same consumer settings, acks=all, commit per batch',
        `drained: the output topic's end offsets sum to the event count (polled every ${SAMPLE_MS} ms); RSS from /proc/<pid>/status every ${SAMPLE_MS} ms`,
        `start-up to ready (not timed): passthrough ${(base.startupMs / 1000).toFixed(1)} s, iprisk ${(ours.startupMs / 1000).toFixed(1)} s (index load included)`,
        'one drain per side, on a shared machine: repeated runs differ; compare the two columns, not runs',
      ]),
    );
    out.push(`  ${machine()} at the end; ${((nowMs() - started) / 1000).toFixed(0)} s in all`);
    process.stdout.write(`${out.join('\n')}\n`);
    const summary = {
      bench: 'backlog',
      events,
      partitions,
      input_mib: MiB(bytes),
      iprisk: jsonFigures(ours),
      passthrough: jsonFigures(base),
      peak_rss_ratio: Math.round((100 * ours.hwm) / base.hwm) / 100,
      machine: machine(),
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    if (ours.exitCode !== 0 || ours.outputRecords < events || base.outputRecords < events) process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:backlog failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
