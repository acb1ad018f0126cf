import type { Readable, Writable } from 'node:stream';
import type { AlertEngine } from '../alerts/engine.js';
import type { IndexSpec } from '../cli/open-index.js';
import type { IpriskConfig } from '../config/schema.js';
import type { EnrichCounts, Enricher, EventKind } from '../enrich/enricher.js';
import { emptyCounts } from '../enrich/enricher.js';
import { FileAlertInput } from './alert-input.js';
import type { ChunkResult } from './chunk-enricher.js';
import { ChunkEnricher } from './chunk-enricher.js';
import type { ChunkAlloc } from './line-chunks.js';
import { CHUNK_BYTES } from './line-chunks.js';
import { Progress } from './progress.js';
import type { OpenedInput } from './streams.js';
import { openInput, openOutput } from './streams.js';
import { WorkerPool } from './worker-pool.js';
import type { ChunkWork, HistorySpec } from './worker-setup.js';

/** Worker threads to enrich in, each opening the index `index` names with `config`. */
export interface WorkerPlan {
  count: number;
  index: IndexSpec;
  config: IpriskConfig;
  /** Each worker judges lines by this history instead of `index`. */
  history?: HistorySpec;
}

export interface EnrichFilesOptions {
  inputs: readonly string[];
  output?: string;
  alertsOutput?: string;
  rejectsOutput?: string;
  /** Access or auth for every line; absent: detected per line from its fields. */
  kind?: EventKind;
  batchSize: number;
  /** Bytes of whole lines per chunk handed to a worker (default CHUNK_BYTES). */
  chunkBytes?: number;
  /** Enriches on this thread, with the enricher's fallback when it has one. */
  enricher?: Enricher;
  /** Enriches chunks on this thread with this (AsOfChunkEnricher); `enricher` is then not used. */
  chunks?: ChunkWork;
  /** Enriches in worker threads instead; `enricher` and `chunks` are then not used. */
  workers?: WorkerPlan;
  /** Matches (on this thread) and suppresses alerts; with workers, only suppresses. */
  alerts: AlertEngine;
  stdin?: Readable;
  stdout?: Writable;
  /** Where rejected lines go when no rejects file is named. */
  stderr?: Writable;
  progress?: Progress;
}

export interface EnrichFilesSummary {
  lines: number;
  events: number;
  rejected: number;
  bySource: EnrichCounts;
  alerts: number;
  alertsByRule: Record<string, number>;
  suppressed: number;
  elapsedMs: number;
}

/** Where chunks are enriched: inline on this thread, or a pool of worker threads. */
interface ChunkRunner {
  run(bytes: Uint8Array): Promise<ChunkResult>;
  /** Chunks read ahead of the oldest unfinished one. */
  readonly window: number;
  /** Where chunks are read into (lineChunks' alloc); absent: new buffers. */
  alloc?: ChunkAlloc;
  /** Takes back a result's output buffer once it is written. */
  recycle?: (output: Uint8Array) => void;
  close(): Promise<void>;
}

async function startRunner(options: EnrichFilesOptions): Promise<ChunkRunner> {
  const kind = options.kind === undefined ? {} : { kind: options.kind };
  if (options.workers !== undefined) {
    const { count, index, config, history } = options.workers;
    const pool = await WorkerPool.start(count, { index, config, batchSize: options.batchSize, ...kind, ...(history === undefined ? {} : { history }) });
    // Two chunks per worker: one in work, one waiting, so no worker idles while the main thread
    // writes; memory stays a few MiB per worker whatever the input size.
    return { run: (bytes) => pool.run(bytes), window: 2 * count, alloc: pool.alloc, recycle: pool.recycle, close: () => pool.close() };
  }
  const { chunks } = options;
  if (chunks !== undefined) return { run: (bytes) => chunks.enrich(bytes), window: 1, close: () => Promise.resolve() };
  if (options.enricher === undefined) throw new Error('enrichFiles needs an enricher or a worker plan');
  const enricher = new ChunkEnricher({ enricher: options.enricher, alerts: options.alerts, batchSize: options.batchSize, ...kind });
  return { run: (bytes) => enricher.enrich(bytes), window: 1, close: () => Promise.resolve() };
}

interface Job {
  file: number;
  input: OpenedInput;
  result: Promise<ChunkResult>;
}

/**
 * File mode (SPEC section 9): JSONL in, enriched JSONL out, one output line per decodable input
 * line in input order; alerts to a second file; lines that are not JSON objects to the rejects
 * file with their line number and reason. Nothing is dropped silently.
 *
 * The input is cut into chunks of whole lines, enriched on this thread or in worker threads
 * (ChunkEnricher), and taken back in input order: outputs, line numbers and alert suppression,
 * which depends on order, are all done here, so any number of workers writes the same bytes.
 */
export async function enrichFiles(options: EnrichFilesOptions): Promise<EnrichFilesSummary> {
  const started = Date.now();
  const progress = options.progress ?? new Progress();
  const summary: EnrichFilesSummary = {
    lines: 0,
    events: 0,
    rejected: 0,
    bySource: emptyCounts(),
    alerts: 0,
    alertsByRule: {},
    suppressed: 0,
    elapsedMs: 0,
  };
  const suppressedBefore = options.alerts.counters().reduce((n, c) => n + c.suppressed, 0);
  const runner = await startRunner(options);
  const out = openOutput(options.output, options.stdout);
  const alertsOut = options.alertsOutput === undefined ? undefined : openOutput(options.alertsOutput);
  const rejectsOut = options.rejectsOutput === undefined ? undefined : openOutput(options.rejectsOutput);

  const jobs: Job[] = [];
  let file = -1;
  let linesBefore = 0;
  const takeOldest = async (): Promise<void> => {
    const job = jobs.shift()!;
    const r = await job.result;
    if (job.file !== file) {
      file = job.file;
      linesBefore = 0;
    }
    const label = job.input.label;
    summary.lines += r.lines;
    summary.events += r.events;
    summary.rejected += r.rejects.length;
    for (const [source, n] of Object.entries(r.bySource) as [keyof EnrichCounts, number][]) summary.bySource[source] += n;
    const { recycle } = runner;
    const written = recycle && ((): void => {
      recycle(r.output);
    });
    if (r.output.byteLength > 0) await out.write(r.output, written);
    let alertText = '';
    for (const match of r.matches) {
      const input = new FileAlertInput(match, label, linesBefore + match.line);
      for (const rule of match.rules) {
        const alert = options.alerts.admit(rule, input);
        if (alert === null) continue;
        summary.alerts++;
        summary.alertsByRule[alert.rule] = (summary.alertsByRule[alert.rule] ?? 0) + 1;
        alertText += `${JSON.stringify(alert)}\n`;
      }
    }
    if (alertText && alertsOut) await alertsOut.write(alertText);
    if (r.rejects.length > 0) {
      const rejectText = r.rejects.map((x) => `${JSON.stringify({ file: label, line: linesBefore + x.line, reason: x.reason, raw: x.raw })}\n`).join('');
      if (rejectsOut) await rejectsOut.write(rejectText);
      else (options.stderr ?? process.stderr).write(rejectText);
    }
    linesBefore += r.lineCount;
    progress.update(summary.events, job.input.bytesRead(), job.input.totalBytes, label);
  };

  try {
    const inputs = options.inputs.length > 0 ? options.inputs : ['-'];
    for (let i = 0; i < inputs.length; i++) {
      const input = await openInput(inputs[i]!, options.stdin);
      for await (const chunk of input.chunks(options.chunkBytes ?? CHUNK_BYTES, runner.alloc)) {
        const result = runner.run(chunk);
        // Taken (and its failure thrown) in order below; until then it must not count as unhandled.
        result.catch(() => undefined);
        jobs.push({ file: i, input, result });
        if (jobs.length >= runner.window) await takeOldest();
      }
    }
    while (jobs.length > 0) await takeOldest();
  } finally {
    progress.done();
    await Promise.allSettled([runner.close(), out.close(), alertsOut?.close(), rejectsOut?.close()]);
  }
  summary.suppressed = options.alerts.counters().reduce((n, c) => n + c.suppressed, 0) - suppressedBefore;
  summary.elapsedMs = Date.now() - started;
  return summary;
}

export function formatSummary(s: EnrichFilesSummary, rejectsFile?: string, alertsFile?: string): string {
  const secs = s.elapsedMs / 1000;
  const rate = secs > 0 ? Math.round(s.events / secs) : s.events;
  const src = s.bySource;
  const rules = Object.entries(s.alertsByRule)
    .map(([rule, n]) => `${rule} ${n}`)
    .join(', ');
  return [
    `iprisk enrich: ${s.events} events from ${s.lines} lines in ${secs.toFixed(2)} s (${rate.toLocaleString('en-US')} events/s)`,
    `  answered by: index ${src.index}, remote ${src.remote}, cache ${src.cache}, none ${src.none}; private ${src.private}, invalid ${src.invalid}`,
    `  alerts: ${s.alerts}${rules ? ` (${rules})` : ''}, suppressed ${s.suppressed}${s.alerts > 0 ? (alertsFile ? ` (in ${alertsFile})` : ' (not written: name a file with --alerts)') : ''}`,
    `  rejected lines: ${s.rejected}${s.rejected > 0 ? (rejectsFile ? ` (in ${rejectsFile})` : ' (written to stderr)') : ''}`,
  ].join('\n');
}
