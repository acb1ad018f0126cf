import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { IpriskError, errorMessage } from '../errors.js';
import { CompiledRangeIndex } from '../range-index/range-index.js';
import { decodeSnapshotData } from '../range-index/snapshot.js';
import type { RangeIndex } from '../range-index/types.js';
import { inForceAt } from './as-of.js';
import { readFiledManifest, validFromMs } from './manifest.js';
import type { HistoryEntry } from './manifest.js';

/** Loaded snapshots kept by default: a real-feed snapshot takes about 5 MB loaded. */
export const DEFAULT_HISTORY_CACHE = 8;

export interface SnapshotHistoryOptions {
  /** Loaded snapshots kept (least recently used go first); at least 1. */
  cacheSize?: number;
  /** What is served of each snapshot loaded (the config's allowlist view); default: the snapshot. */
  view?: (index: RangeIndex) => RangeIndex;
}

/**
 * A history folder opened for reading: the manifest is read once, snapshots are loaded on first
 * use and kept in an LRU of `cacheSize`, so a year of daily snapshots needs the memory of a few.
 * Each loaded snapshot answers with its manifest entry's version and valid_from.
 */
export class SnapshotHistory {
  readonly dir: string;
  readonly entries: readonly HistoryEntry[];
  private readonly validFromMs: Float64Array;
  /** Loaded snapshots kept at most. */
  readonly cacheSize: number;
  private readonly loaded: LRUCache<number, Promise<RangeIndex>>;
  private reads = 0;
  private readonly view: (index: RangeIndex) => RangeIndex;

  private constructor(dir: string, entries: readonly HistoryEntry[], cacheSize: number, view: (index: RangeIndex) => RangeIndex) {
    this.dir = dir;
    this.entries = entries;
    this.view = view;
    this.validFromMs = Float64Array.from(entries, validFromMs);
    this.cacheSize = cacheSize;
    this.loaded = new LRUCache({ max: cacheSize });
  }

  static async open(dir: string, options: SnapshotHistoryOptions = {}): Promise<SnapshotHistory> {
    const cacheSize = options.cacheSize ?? DEFAULT_HISTORY_CACHE;
    if (!Number.isInteger(cacheSize) || cacheSize < 1) throw new RangeError(`history cache size must be a positive integer, got ${cacheSize}`);
    const manifest = await readFiledManifest(dir);
    return new SnapshotHistory(dir, manifest.snapshots, cacheSize, options.view ?? ((index) => index));
  }

  /** Start of the oldest snapshot's validity: events before it predate the history. */
  get startMs(): number {
    return this.validFromMs[0]!;
  }

  /**
   * The position of the snapshot that judges an event of this time: the one in force then; the
   * oldest for an event older than the history (the caller marks it stale); the newest for an
   * event without a usable time, as enrichment without a history would answer it.
   */
  positionAt(timeMs: number | null): number {
    if (timeMs === null) return this.entries.length - 1;
    return Math.max(0, inForceAt(this.validFromMs, timeMs));
  }

  /** Snapshot files read so far (one evicted and needed again counts again). */
  get loads(): number {
    return this.reads;
  }

  isLoaded(position: number): boolean {
    return this.loaded.has(position);
  }

  /**
   * The order to take a batch's snapshots in: those already loaded first, since loading one
   * that is not may evict one a later part of the batch needs; then oldest first.
   */
  loadOrder(positions: Iterable<number>): number[] {
    return [...positions].sort((a, b) => Number(this.isLoaded(b)) - Number(this.isLoaded(a)) || a - b);
  }

  /** Loads concurrently asked for the same snapshot share one read. */
  load(position: number): Promise<RangeIndex> {
    let index = this.loaded.get(position);
    if (index === undefined) {
      index = this.read(position);
      this.loaded.set(position, index);
      // A failed read is not kept: the next ask tries again. If it was evicted meanwhile and
      // the position loaded afresh, that newer load stays.
      const failed = index;
      failed.catch(() => {
        if (this.loaded.peek(position) === failed) this.loaded.delete(position);
      });
    }
    return index;
  }

  private async read(position: number): Promise<RangeIndex> {
    const entry = this.entries[position];
    if (entry === undefined) throw new RangeError(`no snapshot at position ${position} of ${this.entries.length}`);
    const file = path.join(this.dir, entry.file);
    let buf: Buffer;
    try {
      buf = await fs.readFile(file);
    } catch (err) {
      throw new IpriskError('SNAPSHOT_UNREADABLE', `cannot read snapshot ${file} of the history (valid from ${entry.valid_from}): ${errorMessage(err)}`, {
        cause: err,
        canRetry: true,
      });
    }
    this.reads++;
    const data = decodeSnapshotData(buf, file);
    // One file may serve several periods (content A, B, then A again); each answers as filed.
    return this.view(new CompiledRangeIndex({ ...data, version: entry.version, validFrom: new Date(entry.valid_from) }));
  }
}
