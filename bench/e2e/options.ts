/** What one `bench:e2e` run measures and for how long. `--quick` trades precision for a short run. */
export interface E2eOptions {
  quick: boolean;
  /** Events pre-produced to the input topic for the throughput rounds. */
  events: number;
  /** Partitions of every input and enriched topic, on both sides. */
  partitions: number;
  /** Throughput rounds per side (a fresh consumer process each, sides alternating); the median is reported. */
  rounds: number;
  /** Events per second produced during the latency phase. */
  ratePerSec: number;
  /** Seconds produced at the rate before latencies count: JIT, the first schema registration. */
  warmupSecs: number;
  /** Seconds of the latency phase whose records count. */
  measureSecs: number;
}

export function parseE2eOptions(argv: readonly string[]): E2eOptions {
  const unknown = argv.filter((a) => a !== '--quick');
  if (unknown.length > 0) throw new Error(`unknown argument(s) ${unknown.map((a) => `'${a}'`).join(', ')}; the only option is --quick`);
  const quick = argv.includes('--quick');
  return quick
    ? { quick, events: 100_000, partitions: 3, rounds: 2, ratePerSec: 2000, warmupSecs: 2, measureSecs: 8 }
    : { quick, events: 200_000, partitions: 3, rounds: 3, ratePerSec: 2000, warmupSecs: 3, measureSecs: 20 };
}
