import { InvalidArgumentError } from 'commander';
import { DEFAULT_HISTORY_CACHE, SnapshotHistory } from '../history/snapshot-history.js';
import type { RangeIndex } from '../range-index/types.js';

/** `--history DIR [--history-cache N]` as commander hands them over. */
export interface HistoryArgs {
  history?: string | undefined;
  historyCache?: number | undefined;
}

/** commander's parser of `--history-cache`. */
export function historyCacheOption(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--history-cache: '${value}' is not a positive whole number of snapshots`);
  return n;
}

export const HISTORY_HELP =
  "judge each event by the snapshot of this history folder in force at the event's time (index build --history); events older than the history get its oldest snapshot and stale: true; no remote fallback";
export const HISTORY_CACHE_HELP = `snapshots of the history kept loaded at once (default: ${DEFAULT_HISTORY_CACHE})`;

/** The history folder `dir` opened (its manifest read) with `--history-cache` when given. Each
 * snapshot it loads is served through `view` (the config's allowlist, servedView). */
export function openHistory(dir: string, historyCache: number | undefined, view: (index: RangeIndex) => RangeIndex): Promise<SnapshotHistory> {
  return SnapshotHistory.open(dir, { view, ...(historyCache === undefined ? {} : { cacheSize: historyCache }) });
}

/** The history named on the command line, opened as openHistory does, or undefined. */
export async function openHistoryArg(args: HistoryArgs, view: (index: RangeIndex) => RangeIndex): Promise<SnapshotHistory | undefined> {
  if (args.history === undefined) return undefined;
  return openHistory(args.history, args.historyCache, view);
}
