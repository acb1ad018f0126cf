import { AlertEngine } from '../src/alerts/engine.js';
import type { IpriskConfig } from '../src/config/schema.js';
import { Enricher } from '../src/enrich/enricher.js';
import { enrichFiles } from '../src/file-mode/enrich-files.js';
import { readLineBatches } from '../src/file-mode/line-reader.js';
import { Progress } from '../src/file-mode/progress.js';
import { openInput, openOutput } from '../src/file-mode/streams.js';
import type { RangeIndex } from '../src/range-index/types.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { collectGarbage, median, timeAsync } from './lib/measure.js';

const DEV_NULL = '/dev/null';

/** The floor any JSONL-to-JSONL tool pays: the same reader and writer, parse and re-serialise. */
async function baselinePass(file: string, batchSize: number): Promise<number> {
  const input = await openInput(file);
  const out = openOutput(DEV_NULL);
  let events = 0;
  try {
    for await (const lines of readLineBatches(input.stream, batchSize)) {
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
  iprisk: number;
  baselineRounds: number[];
  ipriskRounds: number[];
  /** Median wall-clock events per second, for reference. */
  baselineWall: number;
  ipriskWall: number;
}

/** Untimed passes of each side before the rounds: the JIT settles over the first ones. */
const WARM_UP_PASSES = 2;

/** Alternates baseline and iprisk passes (after untimed warm-up passes) and takes medians. */
export async function measureFileMode(file: string, index: RangeIndex, config: Readonly<IpriskConfig>, rounds: number): Promise<FileModeFigures> {
  let expected = 0;
  for (let i = 0; i < WARM_UP_PASSES; i++) {
    expected = await baselinePass(file, config.enrich.batch_size);
    const enriched = await ipriskPass(file, index, config);
    if (enriched !== expected) throw new Error(`iprisk enriched ${enriched} events, the baseline read ${expected}`);
  }
  const base = { cpu: [] as number[], wall: [] as number[] };
  const ours = { cpu: [] as number[], wall: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    collectGarbage();
    const b = await timeAsync(() => baselinePass(file, config.enrich.batch_size));
    collectGarbage();
    const m = await timeAsync(() => ipriskPass(file, index, config));
    base.cpu.push(b.result / (b.cpuMs / 1000));
    base.wall.push(b.result / (b.wallMs / 1000));
    ours.cpu.push(m.result / (m.cpuMs / 1000));
    ours.wall.push(m.result / (m.wallMs / 1000));
  }
  return {
    events: expected,
    baseline: median(base.cpu),
    iprisk: median(ours.cpu),
    baselineRounds: base.cpu,
    ipriskRounds: ours.cpu,
    baselineWall: median(base.wall),
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
