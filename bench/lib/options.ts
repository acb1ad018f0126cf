/** What one run measures and for how long. `--quick` trades precision for a short run. */
export interface BenchOptions {
  quick: boolean;
  /** Each timed round runs at least this long. */
  minRoundMs: number;
  /** Timed rounds per figure; the median is reported. */
  rounds: number;
  /** Untimed running before the rounds, so the JIT has settled. */
  warmupMs: number;
  /** Distinct query addresses per family and index. */
  queries: number;
  /** Events in the generated file-mode input. */
  events: number;
  /** Timed runs of each file-mode pass (baseline and iprisk alternate). */
  fileRounds: number;
  /** Ranges of the synthetic IPv4 index (approximate: the builder coalesces some). */
  syntheticRanges: number;
  /** Snapshot loads timed in the child process. */
  snapshotLoads: number;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const unknown = argv.filter((a) => a !== '--quick');
  if (unknown.length > 0) throw new Error(`unknown argument(s) ${unknown.map((a) => `'${a}'`).join(', ')}; the only option is --quick`);
  const quick = argv.includes('--quick');
  return quick
    ? {
        quick,
        minRoundMs: 200,
        rounds: 3,
        warmupMs: 200,
        queries: 65_536,
        events: 100_000,
        fileRounds: 3,
        syntheticRanges: 1_000_000,
        snapshotLoads: 3,
      }
    : {
        quick,
        minRoundMs: 600,
        rounds: 5,
        warmupMs: 500,
        queries: 65_536,
        events: 200_000,
        fileRounds: 5,
        syntheticRanges: 1_000_000,
        snapshotLoads: 5,
      };
}
