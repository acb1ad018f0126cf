/**
 * Loads one snapshot or MMDB file in a process of its own, so that the resident memory it adds
 * is not blurred by whatever the parent allocated, and prints one JSON line of measurements.
 *
 *   node --expose-gc dist/bench/snapshot-child.js <iprisk|maxmind> <file> <loads>
 */
import maxmind from 'maxmind';
import type { AnonymousIPResponse } from 'maxmind';
import { readSnapshot } from '../src/range-index/snapshot.js';
import { collectGarbage, cpuMs, median, nowMs } from './lib/measure.js';

export interface LoadReport {
  kind: 'iprisk' | 'maxmind';
  /** Median over the loads. */
  cpuMs: number;
  wallMs: number;
  /** Resident memory added by the first load, measured after a full GC with the result held. */
  rssBytes: number;
  heapBytes: number;
  externalBytes: number;
  loads: number;
}

type Loaded = { probe: () => unknown };

async function loadOnce(kind: string, file: string): Promise<Loaded> {
  if (kind === 'iprisk') {
    const index = await readSnapshot(file);
    return { probe: () => index.findV4(0x01020304) };
  }
  const reader = await maxmind.open<AnonymousIPResponse>(file);
  return { probe: () => reader.get('1.2.3.4') };
}

async function main(): Promise<void> {
  const [kind, file, loadsText] = process.argv.slice(2);
  if ((kind !== 'iprisk' && kind !== 'maxmind') || file === undefined) {
    throw new Error('usage: snapshot-child.js <iprisk|maxmind> <file> <loads>');
  }
  const loads = Number(loadsText ?? '5');
  if (!Number.isInteger(loads) || loads < 1) throw new Error(`loads must be a positive integer, got '${loadsText ?? ''}'`);

  collectGarbage();
  const before = process.memoryUsage();
  const cpu: number[] = [];
  const wall: number[] = [];
  let c = cpuMs();
  let w = nowMs();
  // Held through a slot so that it can be let go before the next load's GC.
  const slot: { loaded: Loaded | undefined } = { loaded: await loadOnce(kind, file) };
  cpu.push(cpuMs() - c);
  wall.push(nowMs() - w);
  collectGarbage();
  const after = process.memoryUsage();
  slot.loaded?.probe();
  for (let i = 1; i < loads; i++) {
    slot.loaded = undefined;
    collectGarbage();
    c = cpuMs();
    w = nowMs();
    slot.loaded = await loadOnce(kind, file);
    cpu.push(cpuMs() - c);
    wall.push(nowMs() - w);
  }
  slot.loaded?.probe();
  const report: LoadReport = {
    kind,
    cpuMs: median(cpu),
    wallMs: median(wall),
    rssBytes: after.rss - before.rss,
    heapBytes: after.heapUsed - before.heapUsed,
    externalBytes: after.external + after.arrayBuffers - (before.external + before.arrayBuffers),
    loads,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
