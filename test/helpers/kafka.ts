// Shared helpers for the integration tests against the real broker and registry
// (test/integration/kafka/**): fresh names, topics, a collecting consumer, bounded waits,
// committed-offset checks, /metrics parsing and the `iprisk run` child process.
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Consumer, IHeaders, Message, Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { stringify } from 'yaml';
import { childEnv } from './env.js';
import { REPO_ROOT } from './paths.js';

/** A name no other test (or earlier run) uses: topics, groups and subjects start fresh. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A client for the tests' own producers, consumers and admin; quiet, patient with a fresh broker. */
export function testKafka(brokers: string[], clientId = 'iprisk-test'): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 } });
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`
 * with `what` and the last state `describe` gives (or the last error the probe threw).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs: number; intervalMs?: number; describe?: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const state = options.describe?.() ?? (lastError === undefined ? '' : `last error: ${describeError(lastError)}`);
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${state === '' ? '' : ` (${state})`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/** Retries `action` (coordinator loading and other transient broker errors right after start). */
export async function retrying<T>(what: string, action: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  let failure: unknown;
  const result = await waitFor(
    what,
    async () => {
      try {
        return { value: await action() };
      } catch (err) {
        failure = err;
        return undefined;
      }
    },
    { timeoutMs, intervalMs: 300, describe: () => `last error: ${describeError(failure)}` },
  );
  return result.value;
}

export async function createTopics(admin: Admin, topics: readonly { topic: string; partitions: number }[]): Promise<void> {
  await retrying(`creating topics ${topics.map((t) => t.topic).join(', ')}`, () =>
    admin.createTopics({ topics: topics.map((t) => ({ topic: t.topic, numPartitions: t.partitions })), waitForLeaders: true }),
  );
}

/** Best effort: a test's topics go at the end; a broker that refuses leaves them to the next stack:down. */
export async function deleteTopics(admin: Admin, topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  await admin.deleteTopics({ topics: [...topics], timeout: 10_000 }).catch(() => undefined);
}

export async function deleteGroups(admin: Admin, groups: readonly string[]): Promise<void> {
  if (groups.length === 0) return;
  await admin.deleteGroups([...groups]).catch(() => undefined);
}

/** The topics, group and folder of one `iprisk run` test: input, enriched, alerts, dead letters. */
export interface RunScenario {
  input: string;
  enriched: string;
  alerts: string;
  dlq: string;
  group: string;
  dir: string;
}

/**
 * Creates a fresh scenario named `<prefix>-<name>-*` and hands its removal (topics, group,
 * folder) to `defer`, the caller's list of clean-ups.
 */
export async function createRunScenario(
  admin: Admin,
  defer: (cleanup: () => Promise<void>) => void,
  options: { prefix: string; name: string; inputPartitions: number; enrichedPartitions?: number },
): Promise<RunScenario> {
  const { prefix, name, inputPartitions } = options;
  const s: RunScenario = {
    input: uniqueName(`${prefix}-${name}-in`),
    enriched: uniqueName(`${prefix}-${name}-enriched`),
    alerts: uniqueName(`${prefix}-${name}-alerts`),
    dlq: uniqueName(`${prefix}-${name}-dlq`),
    group: uniqueName(`${prefix}-${name}`),
    dir: mkdtempSync(path.join(tmpdir(), `iprisk-${prefix}-${name}-`)),
  };
  await createTopics(admin, [
    { topic: s.input, partitions: inputPartitions },
    { topic: s.enriched, partitions: options.enrichedPartitions ?? inputPartitions },
    { topic: s.alerts, partitions: 1 },
    { topic: s.dlq, partitions: 1 },
  ]);
  defer(async () => {
    await deleteTopics(admin, [s.input, s.enriched, s.alerts, s.dlq]);
    await deleteGroups(admin, [s.group]);
    rmSync(s.dir, { recursive: true, force: true });
  });
  return s;
}

/** One record as a test consumer read it; header values as UTF-8 text. */
export interface Received {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

function headerText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

/**
 * A consumer with a fresh group that reads topics from the beginning and keeps every record,
 * read_committed unless told otherwise (as a downstream reader of exactly-once output would).
 */
export class TopicCollector {
  readonly records: Received[] = [];

  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka, topics: readonly string[], options: { readUncommitted?: boolean } = {}): Promise<TopicCollector> {
    const consumer = kafka.consumer({
      groupId: uniqueName('iprisk-test-reader'),
      readUncommitted: options.readUncommitted ?? false,
      // Short long-polls: an idle topic answers within half a second, so waits end soon after the data arrives.
      maxWaitTimeInMs: 500,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
    });
    const collector = new TopicCollector(consumer);
    await retrying('connecting a test consumer', () => consumer.connect());
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ topic, partition, message }) => {
        collector.records.push({ topic, partition, offset: message.offset, key: message.key, value: message.value, headers: headerText(message.headers) });
        return Promise.resolve();
      },
    });
    return collector;
  }

  on(topic: string): Received[] {
    return this.records.filter((r) => r.topic === topic);
  }

  /** Waits until `done` holds over what was read so far. */
  async until(what: string, done: (c: TopicCollector) => boolean, timeoutMs: number): Promise<void> {
    await waitFor(what, () => (done(this) ? true : undefined), { timeoutMs, describe: () => this.summary() });
  }

  /** Records read per topic, for failure messages. */
  summary(): string {
    const counts = new Map<string, number>();
    for (const r of this.records) counts.set(r.topic, (counts.get(r.topic) ?? 0) + 1);
    return `read so far: ${[...counts].map(([t, n]) => `${t}=${n}`).join(', ') || 'nothing'}`;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}

export interface OffsetGap {
  topic: string;
  partition: number;
  committed: bigint;
  end: bigint;
}

/** Committed offset of a group vs the end offset, per partition of each topic (none committed: 0). */
export async function committedVsEnd(admin: Admin, groupId: string, topics: readonly string[]): Promise<OffsetGap[]> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  const gaps: OffsetGap[] = [];
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
    for (const end of ends) {
      const offset = mine.find((p) => p.partition === end.partition)?.offset ?? '-1';
      gaps.push({ topic, partition: end.partition, committed: BigInt(offset) < 0n ? 0n : BigInt(offset), end: BigInt(end.high) });
    }
  }
  return gaps;
}

/** Waits until the group has committed every partition of `topics` up to its end offset. */
export async function waitCommittedAtEnd(admin: Admin, groupId: string, topics: readonly string[], timeoutMs: number): Promise<OffsetGap[]> {
  let last: OffsetGap[] = [];
  return waitFor(
    `group ${groupId} to commit the end offsets of ${topics.join(', ')}`,
    async () => {
      last = await committedVsEnd(admin, groupId, topics);
      return last.every((g) => g.committed === g.end) ? last : undefined;
    },
    { timeoutMs, intervalMs: 300, describe: () => last.map((g) => `${g.topic}/${g.partition}: committed ${g.committed}, end ${g.end}`).join('; ') },
  );
}

/** One sample of Prometheus text: `name{labels} value`. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of a metric's samples whose labels include `labels`. */
export function metricSum(samples: readonly MetricSample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

export async function fetchMetrics(opsUrl: string): Promise<MetricSample[]> {
  const response = await fetch(`${opsUrl}/metrics`);
  if (!response.ok) throw new Error(`GET ${opsUrl}/metrics: HTTP ${response.status}`);
  return parseMetrics(await response.text());
}

/** A JSON call to the registry's Confluent-compatible API. */
export async function registryJson(registryUrl: string, apiPath: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(`${registryUrl}${apiPath}`, {
    ...init,
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', accept: 'application/vnd.schemaregistry.v1+json' },
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${apiPath}: HTTP ${response.status} ${body}`);
  return JSON.parse(body) as unknown;
}

/** Writes a `run` configuration as YAML into `dir` and returns its path. */
export function writeConfig(dir: string, config: Record<string, unknown>, name = 'iprisk.yaml'): string {
  const file = path.join(dir, name);
  writeFileSync(file, stringify(config));
  return file;
}

/** One line of the JSON log `iprisk run` writes to stderr. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/**
 * `node bin/iprisk.js run -c FILE` as a child process (dist/ must be built). Its stderr log is
 * parsed line by line so tests can wait for what it says; `exited` settles when it ends.
 */
export class RunProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitState: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private partial = '';

  private constructor(private readonly child: ChildProcessByStdio<null, Readable, Readable>) {
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.stderr += text;
      this.partial += text;
      const lines = this.partial.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // Not a log line (a crash trace): kept in `stderr` only.
        }
      }
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitState = { code, signal };
        resolve(this.exitState);
      });
    });
  }

  static start(configFile: string, env: NodeJS.ProcessEnv = {}): RunProcess {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'iprisk.js'), 'run', '-c', configFile], {
      cwd: path.dirname(configFile),
      env: childEnv({ IPRISK_LOG_LEVEL: 'info', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new RunProcess(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitState === undefined;
  }

  /** The first log line `match` accepts, waiting up to `timeoutMs`; fails early if the process ends. */
  async waitForLog(what: string, match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    return waitFor(
      `iprisk run to log ${what}`,
      () => {
        const line = this.logs.find(match);
        if (line) return line;
        if (!this.running) throw new Error(`iprisk run exited (${JSON.stringify(this.exitState)}) before logging ${what}:\n${this.tail()}`);
        return undefined;
      },
      { timeoutMs, intervalMs: 100, describe: () => `stderr tail:\n${this.tail()}` },
    );
  }

  /** The ops URL (/metrics, /readyz) from the start-up log line. */
  async opsUrl(timeoutMs = 30_000): Promise<string> {
    const line = await this.waitForLog("'iprisk run starting'", (l) => l.msg === 'iprisk run starting', timeoutMs);
    return String(line.ops);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Waits for the exit, failing after `timeoutMs` (the process is then killed). */
  async exit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`iprisk run did not exit within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Cleanup for afterEach: SIGKILL if still running, and wait for the exit. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  tail(lines = 15): string {
    return this.stderr.trimEnd().split('\n').slice(-lines).join('\n');
  }
}

/** The sources `iprisk run` is made of; only these are checked, so work elsewhere in src/ does not hold the tests up. */
const RUN_SOURCES = ['src/kafka', 'src/cli/run.ts', 'src/cli/main.ts', 'src/telemetry', 'src/config', 'src/enrich', 'src/alerts', 'src/remote'];

function staleOutputs(relative: string, out: string[]): void {
  const full = path.join(REPO_ROOT, relative);
  if (statSync(full).isDirectory()) {
    for (const entry of readdirSync(full)) staleOutputs(path.join(relative, entry), out);
    return;
  }
  if (!relative.endsWith('.ts')) return;
  const built = path.join(REPO_ROOT, 'dist', relative.replace(/\.ts$/, '.js'));
  let builtMs = 0;
  try {
    builtMs = statSync(built).mtimeMs;
  } catch {
    // Not built at all: stale.
  }
  if (statSync(full).mtimeMs > builtMs) out.push(relative);
}

/**
 * Tests that spawn `iprisk run` exercise dist/, not src/: fail at once, saying so, when a
 * source of the run command is newer than its build (`npm test` builds first; by hand:
 * `npm run build`).
 */
export function assertBuilt(): void {
  const stale: string[] = [];
  for (const source of RUN_SOURCES) staleOutputs(source, stale);
  if (stale.length > 0) throw new Error(`dist/ is older than ${stale.slice(0, 5).join(', ')}: run \`npm run build\` before the Kafka CLI tests`);
}

/** Undoes what one test set up (a child process, a topic, a consumer); run newest first. */
export type Cleanup = () => Promise<void> | void;

/** What a file of `iprisk run` tests shares: one client, an admin and a producer, and each test's clean-ups. */
export interface RunSuite {
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  /** Pushed to by a test; run newest first after each test, whether it passed or not. */
  cleanups: Cleanup[];
}

/**
 * Registers the hooks every file of `iprisk run` tests needs: checks dist/ is built and
 * connects the admin and producer before the first test, runs each test's clean-ups after it,
 * and disconnects after the last.
 */
export function runSuite(brokers: string[]): RunSuite {
  const kafka = testKafka(brokers);
  const suite: RunSuite = { kafka, admin: kafka.admin(), producer: kafka.producer(), cleanups: [] };
  beforeAll(async () => {
    assertBuilt();
    await suite.admin.connect();
    await suite.producer.connect();
  });
  afterEach(async () => {
    for (const cleanup of suite.cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await suite.producer.disconnect();
    await suite.admin.disconnect();
  });
  return suite;
}

/** Produces `messages` a few at a time with short pauses, as a live source does; `onChunk` sees the count sent so far. */
export async function producePaced(
  producer: Producer,
  topic: string,
  messages: readonly Message[],
  options: { chunk: number; pauseMs: number; onChunk?: (sent: number) => void | Promise<void> },
): Promise<void> {
  for (let i = 0; i < messages.length; i += options.chunk) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + options.chunk) });
    await options.onChunk?.(Math.min(messages.length, i + options.chunk));
    await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
}
