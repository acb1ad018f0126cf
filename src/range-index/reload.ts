import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import path from 'node:path';
import { IpriskError, errorMessage } from '../errors.js';
import { readSnapshot } from './snapshot.js';
import type { RangeIndex } from './types.js';

/** The two calls the holder makes; a pino logger fits it as it is. */
export interface ReloadLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type ReloadOutcome = 'success' | 'failure';

export interface WatchOptions {
  /** Quiet time after the last change before loading: writers may touch the folder several times. */
  debounceMs?: number;
  logger?: ReloadLogger;
  onReload?: (outcome: ReloadOutcome, result: RangeIndex | Error) => void;
}

/**
 * Holds the index a process serves from and swaps it whole. Readers take `current` once per
 * batch and use that reference throughout, so no batch sees two indexes and none sees a
 * half-loaded one: a new snapshot is read and verified completely before the swap.
 */
export class IndexHolder {
  /** Reloads by outcome since start, for metrics. */
  readonly reloads: Record<ReloadOutcome, number> = { success: 0, failure: 0 };
  private index: RangeIndex;
  private file: string | undefined;
  private options: WatchOptions = {};
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReloadOutcome> | undefined;
  /** Reload requests so far; a load that began before the latest one is followed by another. */
  private requested = 0;
  /** What is served of each snapshot read (the config's allowlist view, say). */
  private readonly prepare: (index: RangeIndex) => RangeIndex;

  /** `initial` is served as given; `prepare` is applied to every snapshot reloaded after it. */
  constructor(initial: RangeIndex, file?: string, prepare: (index: RangeIndex) => RangeIndex = (index) => index) {
    this.index = initial;
    this.file = file;
    this.prepare = prepare;
  }

  /** Loads a snapshot file and holds it, through `prepare` now and on every reload. */
  static async open(file: string, prepare: (index: RangeIndex) => RangeIndex = (index) => index): Promise<IndexHolder> {
    return new IndexHolder(prepare(await readSnapshot(file)), file, prepare);
  }

  get current(): RangeIndex {
    return this.index;
  }

  /**
   * Reloads whenever the snapshot is replaced. The folder is watched, not the file: an atomic
   * rename puts a new inode at the path, and a watch on the old inode never fires again.
   */
  watchSnapshot(file: string, options: WatchOptions = {}): void {
    this.close();
    this.file = file;
    this.options = options;
    const name = path.basename(file);
    const debounceMs = options.debounceMs ?? 500;
    try {
      this.watcher = watch(path.dirname(file), { persistent: false }, (_event, changed) => {
        // Some platforms omit the name; a needless reload is cheaper than a missed one.
        if (changed !== null && changed !== name) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          this.timer = undefined;
          void this.reload();
        }, debounceMs);
      });
    } catch (err) {
      throw new IpriskError('SNAPSHOT_UNREADABLE', `cannot watch the folder of index snapshot ${file}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    this.watcher.on('error', (err) => {
      options.logger?.error({ err, file }, 'index snapshot watch failed; the current index keeps serving');
    });
  }

  /**
   * Loads the snapshot file now and swaps to it when it verifies; never rejects. A reload asked
   * for while one runs is run once more after it, so the last write always gets loaded.
   * Rejects only when the holder was given no snapshot file.
   */
  reload(): Promise<ReloadOutcome> {
    const file = this.file;
    if (file === undefined) return Promise.reject(new Error('IndexHolder.reload: no snapshot file to reload from'));
    this.requested++;
    if (this.running) return this.running;
    this.running = this.loadLoop(file).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops watching. The held index stays usable. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }

  private async loadLoop(file: string): Promise<ReloadOutcome> {
    let outcome: ReloadOutcome;
    let served: number;
    do {
      served = this.requested;
      outcome = await this.loadOnce(file);
    } while (served !== this.requested);
    return outcome;
  }

  private async loadOnce(file: string): Promise<ReloadOutcome> {
    const { logger, onReload } = this.options;
    const previous = this.index.version;
    let next: RangeIndex;
    try {
      next = this.prepare(await readSnapshot(file));
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.reloads.failure++;
      logger?.error({ err: error, file, version: previous }, 'index snapshot rejected; the current index keeps serving');
      onReload?.('failure', error);
      return 'failure';
    }
    this.index = next;
    this.reloads.success++;
    logger?.info({ file, version: next.version, previous }, 'index snapshot reloaded');
    onReload?.('success', next);
    return 'success';
  }
}
