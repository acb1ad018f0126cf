/**
 * Fairness figure of `npm run bench:serve`: how long one GET /v3/security waits while 8 bulk
 * requests of 50,000 addresses are being answered. Three processes, so that no side's work
 * shows up in another's timings: the real `iprisk serve` (the built CLI, on a snapshot of the
 * real-feed index), the bulk load (bulk-load-child.ts: 8 workers, each posting again as soon as
 * its answer is read), and this process, which only sends single lookups one after another on
 * a keep-alive connection and times each. The same probe on the idle server is the baseline.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeSnapshot } from '../../src/range-index/snapshot.js';
import type { SnapshotData } from '../../src/range-index/types.js';
import { nowMs } from '../lib/measure.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '..', '..', 'src', 'cli', 'main.js');
const LOAD_CHILD = path.join(HERE, 'bulk-load-child.js');

/** Gap between one probe's answer and the next probe: about 100 probes a second. */
const PROBE_GAP_MS = 10;
const PROBE_KEY = 'bench-probe';
const BULK_KEY_PREFIX = 'bench-bulk-';
/** An address of the real feeds (the README's example): a hit, answered with a full record. */
const PROBE_IP = '2.56.188.34';

export interface ProbeFigures {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface FairnessFigures {
  bulks: number;
  windowMs: number;
  idle: ProbeFigures;
  loaded: ProbeFigures;
  /** Longest event-loop delay of the server during the loaded window (its own /metrics). */
  serverLagMaxMs: number;
  bulksAnswered: number;
  bulkStatuses: Record<string, number>;
  bulkMiB: number;
}

function progress(text: string): void {
  process.stderr.write(`bench:serve fairness: ${text}\n`);
}

function summary(latencies: number[]): ProbeFigures {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1)! };
}

function get(agent: Agent, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Single lookups one after another for `windowMs`; the latency of each, in ms. */
async function probe(base: string, windowMs: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = `${base}/v3/security?apiKey=${PROBE_KEY}&ip=${PROBE_IP}`;
  const latencies: number[] = [];
  const end = nowMs() + windowMs;
  try {
    while (nowMs() < end) {
      const t0 = nowMs();
      const res = await get(agent, url);
      latencies.push(nowMs() - t0);
      if (res.status !== 200) throw new Error(`the probe got ${res.status}: ${res.body.slice(0, 200)}`);
      await sleep(PROBE_GAP_MS);
    }
  } finally {
    agent.destroy();
  }
  return latencies;
}

/** The server's `iprisk_nodejs_eventloop_lag_max_seconds`, which prom-client resets on each scrape. */
async function scrapeLagMaxMs(base: string): Promise<number> {
  const agent = new Agent();
  const { body } = await get(agent, `${base}/metrics`);
  agent.destroy();
  const line = body.split('\n').find((l) => l.startsWith('iprisk_nodejs_eventloop_lag_max_seconds '));
  return line === undefined ? Number.NaN : Number(line.split(' ')[1]) * 1000;
}

async function startServe(dir: string, data: SnapshotData, bulks: number): Promise<{ child: ChildProcess; base: string }> {
  const snapshot = path.join(dir, 'real-feeds.snap');
  await writeSnapshot(snapshot, data);
  const config = path.join(dir, 'serve.json');
  const keys = [PROBE_KEY, ...Array.from({ length: bulks }, (_, i) => `${BULK_KEY_PREFIX}${i}`)];
  await writeFile(config, JSON.stringify({ serve: { api_keys: keys } }));
  const child = spawn(process.execPath, [CLI, 'serve', '-c', config, '--index', snapshot, '--port', '0'], {
    env: { ...process.env, IPRISK_CONFIG: '', IPRISK_API_KEYS: '', IPRISK_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const base = await new Promise<string>((resolve, reject) => {
    const lines: string[] = [];
    const rl = createInterface({ input: child.stderr });
    rl.on('line', (text) => {
      lines.push(text);
      const url = /"url":"([^"]+)"/.exec(text)?.[1];
      if (text.includes('iprisk serve listening') && url !== undefined) resolve(url);
    });
    child.once('exit', (code) => {
      reject(new Error(`iprisk serve exited (${code}) before listening:\n${lines.join('\n')}`));
    });
  });
  return { child, base };
}

function startLoad(base: string, bodyFile: string, bulks: number): { child: ChildProcess; started: Promise<void>; result: Promise<string> } {
  const child = spawn(process.execPath, [LOAD_CHILD, base, bodyFile, String(bulks), BULK_KEY_PREFIX], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  let onStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const result = new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'started') onStarted();
      else resolve(line);
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the bulk load process failed (exit ${code})`));
    });
  });
  return { child, started, result };
}

/** Runs the figure; `dir` is a scratch folder for the snapshot, the config and the bulk body. */
export async function measureFairness(data: SnapshotData, body: string, dir: string, bulks: number, windowMs: number): Promise<FairnessFigures> {
  const bodyFile = path.join(dir, 'bulk.json');
  await writeFile(bodyFile, body);
  const serve = await startServe(dir, data, bulks);
  progress(`iprisk serve listening at ${serve.base}; timing lookups on the idle server`);
  try {
    await probe(serve.base, 500); // warm-up: JIT, the connection, the record's rendering
    const idle = summary(await probe(serve.base, windowMs));
    progress(`starting ${bulks} bulk workers`);
    const load = startLoad(serve.base, bodyFile, bulks);
    await load.started;
    progress('timing lookups under load');
    await scrapeLagMaxMs(serve.base);
    const loaded = summary(await probe(serve.base, windowMs));
    const serverLagMaxMs = await scrapeLagMaxMs(serve.base);
    progress('stopping the bulk workers (their requests in flight finish first)');
    load.child.stdin!.end();
    const report = JSON.parse(await load.result) as { bulks: number; bytes: number; statuses: Record<string, number> };
    return {
      bulks,
      windowMs,
      idle,
      loaded,
      serverLagMaxMs,
      bulksAnswered: report.bulks,
      bulkStatuses: report.statuses,
      bulkMiB: report.bytes / 1048576,
    };
  } finally {
    serve.child.kill('SIGTERM');
    await new Promise((resolve) => serve.child.once('exit', resolve));
  }
}
