import { AlertEngine } from '../src/alerts/engine.js';
import type { IpriskConfig } from '../src/config/schema.js';
import { Enricher } from '../src/enrich/enricher.js';
import { enrichFiles } from '../src/file-mode/enrich-files.js';
import { readLineBatches } from '../src/file-mode/line-reader.js';
import { Progress } from '../src/file-mode/progress.js';
import { openOutput } from '../src/file-mode/streams.js';
import type { RangeIndex } from '../src/range-index/types.js';
import { NOTHING_KNOWN_JSON } from '../src/enrich/answer.js';
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { collectGarbage, median, nowMs, timeAsync } from './lib/measure.js';

const DEV_NULL = '/dev/null';

/** The floor any JSONL-to-JSONL tool pays: the same reader and writer, parse and re-serialise. */
async function baselinePass(file: string, batchSize: number): Promise<number> {
  const out = openOutput(DEV_NULL);
  let events = 0;
  try {
    for await (const lines of readLineBatches(createReadStream(file, { highWaterMark: 1 << 20 }), batchSize)) {
      let text = '';
      for (const line of lines) {
        if (line.text.trim().length === 0) continue;
        text += `${JSON.stringify(JSON.parse(line.text))}\n`;
        events++;
      }
      if (text) await out.write(text);
    }
  } finally {
    await out.close();
  }
  return events;
}

/** What the limit pass splices onto every line: a fixed `security` and `enrichment`, as iprisk writes them. */
const FIXED_TAIL =
  `,"security":${NOTHING_KNOWN_JSON},"enrichment":{"ip":"203.0.113.7","source":"none","matched_network":null,` +
  `"index_version":"bench-real-feeds","enriched_at":1772445600000,"stale":false}}\n`;

/** Bytes read and written at once by the limit pass. */
const LIMIT_CHUNK = 1 << 20;

/**
 * The least work any JSONL enricher must do, with the same guarantees as iprisk (every line
 * validated as a JSON object): read in large chunks, JSON.parse each line, splice a fixed
 * `security` and `enrichment` onto the line's own text, write in large chunks. No IP
 * extraction, lookup, alerting or line numbering.
 */
async function limitPass(file: string): Promise<number> {
  const input = createReadStream(file, { highWaterMark: LIMIT_CHUNK, encoding: 'utf8' });
  const out = createWriteStream(DEV_NULL);
  let carry = '';
  let text = '';
  let events = 0;
  for await (const chunk of input as AsyncIterable<string>) {
    const s = carry.length > 0 ? carry + chunk : chunk;
    let start = 0;
    for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', start)) {
      const line = s.slice(start, nl);
      start = nl + 1;
      if (line.length === 0) continue;
      const value: unknown = JSON.parse(line);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`line ${events + 1} is not a JSON object`);
      text += line.slice(0, -1) + FIXED_TAIL;
      events++;
    }
    carry = s.slice(start);
    if (text.length >= LIMIT_CHUNK) {
      if (!out.write(text)) await once(out, 'drain');
      text = '';
    }
  }
  if (carry.length > 0) throw new Error('the generated file ends without a newline');
  out.end(text);
  await once(out, 'close');
  return events;
}

/** `iprisk enrich FILE -o /dev/null --alerts /dev/null` as the CLI wires it, minus the process start. */
async function ipriskPass(file: string, index: RangeIndex, config: Readonly<IpriskConfig>): Promise<number> {
  const enricher = new Enricher({ index: { current: index }, extraction: config.enrich, maxIndexAgeSecs: config.index.max_age_secs });
  // A fresh engine per pass: suppression state carried over would make later passes cheaper.
  const alerts = new AlertEngine(config.alerts, { clock: Date.now });
  const summary = await enrichFiles({
    inputs: [file],
    output: DEV_NULL,
    alertsOutput: DEV_NULL,
    batchSize: config.enrich.batch_size,
    enricher,
    alerts,
    progress: new Progress(process.stderr, false),
  });
  return summary.events;
}

export interface FileModeFigures {
  events: number;
  /** Median events per CPU-second. */
  baseline: number;
  limit: number;
  iprisk: number;
  baselineRounds: number[];
  limitRounds: number[];
  ipriskRounds: number[];
  /** Median wall-clock events per second, for reference. */
  baselineWall: number;
  limitWall: number;
  ipriskWall: number;
}

/** Untimed passes of each side before the rounds: the JIT settles over the first ones. */
const WARM_UP_PASSES = 2;

/** Alternates the baselines and iprisk passes (after untimed warm-up passes) and takes medians. */
export async function measureFileMode(file: string, index: RangeIndex, config: Readonly<IpriskConfig>, rounds: number): Promise<FileModeFigures> {
  let expected = 0;
  for (let i = 0; i < WARM_UP_PASSES; i++) {
    expected = await baselinePass(file, config.enrich.batch_size);
    const limited = await limitPass(file);
    if (limited !== expected) throw new Error(`the limit pass read ${limited} events, the baseline ${expected}`);
    const enriched = await ipriskPass(file, index, config);
    if (enriched !== expected) throw new Error(`iprisk enriched ${enriched} events, the baseline read ${expected}`);
  }
  const base = { cpu: [] as number[], wall: [] as number[] };
  const limit = { cpu: [] as number[], wall: [] as number[] };
  const ours = { cpu: [] as number[], wall: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    collectGarbage();
    const b = await timeAsync(() => baselinePass(file, config.enrich.batch_size));
    collectGarbage();
    const l = await timeAsync(() => limitPass(file));
    collectGarbage();
    const m = await timeAsync(() => ipriskPass(file, index, config));
    base.cpu.push(b.result / (b.cpuMs / 1000));
    base.wall.push(b.result / (b.wallMs / 1000));
    limit.cpu.push(l.result / (l.cpuMs / 1000));
    limit.wall.push(l.result / (l.wallMs / 1000));
    ours.cpu.push(m.result / (m.cpuMs / 1000));
    ours.wall.push(m.result / (m.wallMs / 1000));
  }
  return {
    events: expected,
    baseline: median(base.cpu),
    limit: median(limit.cpu),
    iprisk: median(ours.cpu),
    baselineRounds: base.cpu,
    limitRounds: limit.cpu,
    ipriskRounds: ours.cpu,
    baselineWall: median(base.wall),
    limitWall: median(limit.wall),
    ipriskWall: median(ours.wall),
  };
}

const CHILD = fileURLToPath(new URL('./file-mode-child.js', import.meta.url));

/** measureFileMode in a fresh process (file-mode-child.ts says why), on a snapshot of the index. */
export function measureFileModeInChild(snapshot: string, events: string, rounds: number): FileModeFigures {
  const result = spawnSync(process.execPath, ['--expose-gc', CHILD, snapshot, events, String(rounds)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.error) throw new Error(`cannot start the file-mode process: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`the file-mode process failed (exit ${result.status}):\n${result.stderr}`);
  return JSON.parse(result.stdout) as FileModeFigures;
}

const BIN = fileURLToPath(new URL('../../bin/iprisk.js', import.meta.url));

export interface WorkerFigures {
  /** Wall-clock seconds of each `iprisk enrich` run, in order. */
  oneWorker: number[];
  twoWorkers: number[];
  /** Median of --workers 1 over median of --workers 2: the speed-up. */
  speedUp: number;
}

/** Wall-clock seconds of `iprisk enrich --workers N FILE`, the process start included. */
function enrichWall(snapshot: string, events: string, workers: number): number {
  const args = [BIN, 'enrich', '-q', '--workers', String(workers), '--index', snapshot, '-o', DEV_NULL, '--alerts', DEV_NULL, events];
  const started = nowMs();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  const seconds = (nowMs() - started) / 1000;
  if (result.error) throw new Error(`cannot start iprisk enrich: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`iprisk enrich --workers ${workers} failed (exit ${result.status}):\n${result.stderr}`);
  return seconds;
}

/**
 * The real CLI with one worker against two, alternately, wall clock: what --workers is for.
 * With two cores shared with other work the figure says as much about the neighbours.
 */
export function measureWorkers(snapshot: string, events: string, rounds: number): WorkerFigures {
  const one: number[] = [];
  const two: number[] = [];
  for (let r = 0; r < rounds; r++) {
    one.push(enrichWall(snapshot, events, 1));
    two.push(enrichWall(snapshot, events, 2));
  }
  return { oneWorker: one, twoWorkers: two, speedUp: median(one) / median(two) };
}
