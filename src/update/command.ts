import { loadConfig } from '../config/load.js';
import { errorMessage } from '../errors.js';
import type { Metrics } from '../telemetry/metrics.js';
import { formatDuration } from './duration.js';
import { planUpdate } from './plan.js';
import { repeatEvery } from './schedule.js';
import { formatRoundSummary } from './summary.js';
import { runUpdateRound } from './update-round.js';
import type { UpdateRoundReport } from './update-round.js';

export interface UpdateCommandOptions {
  config: string;
  output?: string | undefined;
  /** Milliseconds between rounds; absent: one round. */
  everyMs?: number | undefined;
  only?: readonly string[] | undefined;
  force?: boolean | undefined;
  quiet?: boolean | undefined;
  metrics?: Metrics | undefined;
  /** Where progress goes (stderr in the CLI). */
  write?: ((line: string) => void) | undefined;
}

/**
 * Exit status of one round: 0 when the snapshot was written or is up to date, even if some
 * feeds failed and their last good copies were used (a warning says so); 1 when the snapshot
 * could not be built (a source with no copy at all, an unwritable file) or the round was
 * stopped before its rebuild, or the snapshot was written but could not be filed into index.history.
 */
export function exitStatusOf(report: UpdateRoundReport): number {
  if (report.history?.error !== undefined) return 1;
  return report.rebuild === 'written' || report.rebuild === 'up_to_date' ? 0 : 1;
}

/**
 * `iprisk index update`: one round, or with `everyMs` a round every interval until SIGINT or
 * SIGTERM, which abort in-flight downloads and stop cleanly (exit 0 in that mode). Configuration
 * problems throw ConfigError before anything is fetched. Returns the exit status.
 */
export async function runUpdateCommand(opts: UpdateCommandOptions): Promise<number> {
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Like run and serve, update reads IPRISK_* overrides: it is the long-running half of the index.
  const loaded = loadConfig(opts.config);
  const plan = planUpdate(loaded, { output: opts.output, only: opts.only });

  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      // A second signal: the operator does not want to wait for temporary files to be removed.
      process.exit(130);
    }
    write(`received ${signal}: stopping${opts.everyMs === undefined ? '' : ' (no further rounds)'}`);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  let last: UpdateRoundReport | undefined;
  const round = async (): Promise<void> => {
    last = await runUpdateRound(loaded, plan, {
      force: opts.force,
      signal: controller.signal,
      metrics: opts.metrics,
      report: (line, level) => {
        if (!opts.quiet || level === 'problem') write(line);
      },
    });
    const summary = formatRoundSummary(last);
    if (!opts.quiet || exitStatusOf(last) !== 0 || last.counts.failed > 0) write(summary);
  };

  try {
    if (opts.everyMs === undefined) {
      await round();
      return last === undefined ? 1 : exitStatusOf(last);
    }
    write(`index update: every ${formatDuration(opts.everyMs)}, snapshot ${plan.snapshot}`);
    await repeatEvery(opts.everyMs, controller.signal, round, {
      onError: (err) => {
        write(`index update: round failed: ${errorMessage(err)}`);
      },
      onWait: (ms) => {
        if (!opts.quiet) write(`index update: next round in ${formatDuration(ms)}`);
      },
    });
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
