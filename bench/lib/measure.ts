/**
 * Timing harness for tight loops. A "pass" runs the loop once over a fixed input and returns a
 * checksum of every answer, so the JIT cannot drop the work; the checksums are summed into a
 * sink that the caller checks. Rounds are sized from the warm-up so each lasts at least
 * `minRoundMs`, and the median round is reported.
 *
 * Time is the process's CPU time (user + system, every thread: GC helpers count), not the wall
 * clock: the figures are "per core", and on a shared machine the wall clock measures the
 * neighbours as much as the code (with a load average of 10 on 2 cores, wall-clock rounds of the
 * same loop differed 2.5x while CPU-time rounds stayed within a few percent).
 */
export interface Measurement {
  /** Median operations per second over the timed rounds. */
  opsPerSec: number;
  /** Operations per second of each round, in order. */
  rounds: number[];
  /** Checksum of a single pass: equal work on both sides of a comparison gives equal sums. */
  passChecksum: number;
}

export interface MeasureSettings {
  minRoundMs: number;
  rounds: number;
  warmupMs: number;
}

let sink = 0;

/** The sum of every checksum seen; printed once so that no result is dead code. */
export function checksumSink(): number {
  return sink;
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** CPU milliseconds this process has used so far. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

export function measure(opsPerPass: number, pass: () => number, settings: MeasureSettings): Measurement {
  collectGarbage();
  const passChecksum = pass();
  sink += passChecksum;
  let passes = 1;
  const warmStart = cpuMs();
  let elapsed = 0;
  while (elapsed < settings.warmupMs || passes < 3) {
    sink += pass();
    passes++;
    elapsed = cpuMs() - warmStart;
  }
  const perPassMs = elapsed / (passes - 1);
  const passesPerRound = Math.max(1, Math.ceil(settings.minRoundMs / perPassMs));
  const rounds: number[] = [];
  for (let r = 0; r < settings.rounds; r++) {
    let sum = 0;
    const start = cpuMs();
    for (let p = 0; p < passesPerRound; p++) sum += pass();
    const ms = cpuMs() - start;
    sink += sum;
    if (sum !== passChecksum * passesPerRound) throw new Error(`a pass changed its answers between rounds (checksum ${sum} != ${passChecksum} x ${passesPerRound})`);
    rounds.push((opsPerPass * passesPerRound) / (ms / 1000));
  }
  return { opsPerSec: median(rounds), rounds, passChecksum };
}

/** CPU and wall time of one asynchronous run; the caller alternates and takes medians. */
export async function timeAsync<T>(run: () => Promise<T>): Promise<{ cpuMs: number; wallMs: number; result: T }> {
  const cpu = cpuMs();
  const wall = nowMs();
  const result = await run();
  return { cpuMs: cpuMs() - cpu, wallMs: nowMs() - wall, result };
}

export { nowMs };
