import { stat } from 'node:fs/promises';
import type { LoadedConfig } from '../config/load.js';
import { resolvePath } from '../config/load.js';
import { errorMessage } from '../errors.js';
import { buildFromConfig } from '../cli/open-index.js';
import { fileSnapshot } from '../history/store.js';
import type { FileOutcome } from '../history/store.js';
import { writeSnapshot } from '../range-index/snapshot.js';
import type { EncodedSnapshot } from '../range-index/snapshot.js';
import type { SnapshotData } from '../range-index/types.js';
import type { Metrics } from '../telemetry/metrics.js';
import { mapLimit } from './concurrency.js';
import { formatFeedLine, formatLocalLine } from './summary.js';
import type { FeedPlan, UpdatePlan } from './plan.js';
import { updateFeed } from './update-feed.js';
import type { FeedOutcome, FeedResult } from './update-feed.js';

export type ReportLevel = 'info' | 'problem';

export interface UpdateRoundOptions {
  /** Download every feed in full (no conditional request) and rebuild even if nothing changed. */
  force?: boolean | undefined;
  /** Aborting it stops the round: in-flight downloads are cut off and nothing is rebuilt. */
  signal?: AbortSignal | undefined;
  metrics?: Metrics | undefined;
  /** Human-readable progress lines (the CLI sends them to stderr); `problem` marks failed feeds
   * and malformed feed lines, what a quiet run still shows. */
  report?: ((line: string, level: ReportLevel) => void) | undefined;
  now?: (() => Date) | undefined;
}

/** The written snapshot filed into the history folder, or why that failed. */
export type HistoryFiling =
  | { dir: string; outcome: FileOutcome; validFrom: string; version: string; prunedSnapshots: number; error?: undefined }
  | { dir: string; error: string };

/** What happened to the snapshot in a round. */
export type RebuildOutcome = 'written' | 'up_to_date' | 'failed' | 'aborted';

export interface UpdateRoundReport {
  snapshot: string;
  /** Feeds downloaded this round, in config order. */
  feeds: FeedResult[];
  /** Sources used as their local files: no url, or left out by --only. */
  local: FeedPlan[];
  counts: Record<FeedOutcome, number>;
  rebuild: RebuildOutcome;
  /** Why the snapshot was (or was not) rebuilt, or why the build failed. */
  reason: string;
  /** The written snapshot's description. */
  built: { version: string; rangesV4: number; rangesV6: number; entries: number; problems: number } | undefined;
  /** What filing the written snapshot into index.history did, when that is set. */
  history: HistoryFiling | undefined;
  aborted: boolean;
}

async function mtimeMs(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Whether the snapshot needs building, and why. Comparing modification times covers more than
 * this round's downloads: a build that failed last round, a local file edited by hand, a
 * source added to the config. Feeds that were not modified keep their mtime (update-feed.ts).
 */
async function rebuildReason(loaded: LoadedConfig, plan: UpdatePlan, feeds: readonly FeedResult[], force: boolean): Promise<string | undefined> {
  if (force) return '--force';
  const updated = feeds.filter((f) => f.outcome === 'updated').map((f) => f.name);
  if (updated.length > 0) return `updated: ${updated.join(', ')}`;
  const missing = feeds.filter((f) => !f.hasCopy).map((f) => f.name);
  if (missing.length > 0) return `no local copy of ${missing.join(', ')}`;
  const built = await mtimeMs(plan.snapshot);
  if (built === undefined) return 'no snapshot yet';
  for (const feed of plan.feeds) {
    const changed = await mtimeMs(feed.file);
    if (changed === undefined) return `no local copy of ${feed.source.name}`;
    if (changed > built) return `${feed.source.name} changed since the snapshot was built`;
  }
  if (loaded.file !== undefined && ((await mtimeMs(loaded.file)) ?? 0) > built) return 'the configuration changed since the snapshot was built';
  return undefined;
}

/**
 * One round of `iprisk index update`: downloads every planned feed (update.concurrency at a
 * time), then rebuilds the snapshot from the local copies of every enabled source, exactly as
 * `index build` would, and writes it atomically. A feed that fails keeps its last good copy and
 * the rebuild goes on with it; the build fails only when some source has no copy at all.
 * Never throws for feed or build failures: the report says what happened.
 */
export async function runUpdateRound(loaded: LoadedConfig, plan: UpdatePlan, options: UpdateRoundOptions = {}): Promise<UpdateRoundReport> {
  const report = options.report ?? (() => undefined);
  const force = options.force ?? false;
  const config = loaded.config.update;
  const wanted = plan.feeds.filter((f) => f.download);
  for (const feed of plan.feeds) {
    if (!feed.download) report(formatLocalLine(feed), 'info');
  }
  const feeds = await mapLimit(wanted, config.concurrency, async (feed) => {
    if (options.signal?.aborted) return undefined;
    const result = await updateFeed(feed, {
      config,
      force,
      signal: options.signal,
      report: (line) => {
        report(line, 'info');
      },
      now: options.now,
    });
    if (result.aborted) return result;
    options.metrics?.feedUpdates.inc({ source: result.name, outcome: result.outcome });
    report(formatFeedLine(result), result.outcome === 'failed' ? 'problem' : 'info');
    return result;
  });
  const done = feeds.filter((f): f is FeedResult => f !== undefined);
  const counts: Record<FeedOutcome, number> = { updated: 0, not_modified: 0, failed: 0 };
  for (const f of done) if (!f.aborted) counts[f.outcome]++;
  const base: Omit<UpdateRoundReport, 'rebuild' | 'reason' | 'built' | 'aborted' | 'history'> = {
    snapshot: plan.snapshot,
    feeds: done,
    local: plan.feeds.filter((f) => !f.download),
    counts,
  };

  if (options.signal?.aborted) {
    return { ...base, rebuild: 'aborted', reason: 'stopped before the rebuild', built: undefined, aborted: true, history: undefined };
  }
  const reason = await rebuildReason(loaded, plan, done, force);
  if (reason === undefined) {
    return { ...base, rebuild: 'up_to_date', reason: 'nothing changed since the snapshot was built', built: undefined, aborted: false, history: undefined };
  }
  try {
    const withPaths: LoadedConfig = { ...loaded, config: { ...loaded.config, sources: plan.feeds.map((f) => f.source) } };
    const { data, sources } = await buildFromConfig(withPaths, (line) => {
      report(line, 'problem');
    });
    data.validFrom = data.builtAt;
    const { encoded } = await writeSnapshot(plan.snapshot, data);
    const history = await fileIntoHistory(loaded, data, encoded, options.now?.() ?? new Date());
    return {
      ...base,
      rebuild: 'written',
      reason,
      built: {
        version: data.version,
        rangesV4: data.stats.rangesV4,
        rangesV6: data.stats.rangesV6,
        entries: data.stats.entries,
        problems: sources.reduce((n, s) => n + s.problems.length, 0),
      },
      aborted: false,
      history,
    };
  } catch (err) {
    return { ...base, rebuild: 'failed', reason: errorMessage(err), built: undefined, aborted: false, history: undefined };
  }
}

/**
 * Files a written snapshot into index.history (valid from its build time) and prunes by the
 * retention settings. A failure is reported, not thrown: the snapshot itself is in place.
 */
async function fileIntoHistory(loaded: LoadedConfig, data: SnapshotData, encoded: EncodedSnapshot, now: Date): Promise<HistoryFiling | undefined> {
  const { history, history_retention_days: days, history_max_snapshots: maxSnapshots } = loaded.config.index;
  if (history === undefined) return undefined;
  const dir = resolvePath(loaded, history);
  try {
    const filed = await fileSnapshot(dir, data, { validFrom: data.builtAt, retention: { days, maxSnapshots }, now, encoded });
    return { dir, outcome: filed.outcome, validFrom: filed.entry.valid_from, version: filed.entry.version, prunedSnapshots: filed.pruned.entries.length };
  } catch (err) {
    return { dir, error: errorMessage(err) };
  }
}
