import { promises as fs } from 'node:fs';
import path from 'node:path';
import { IpriskError, errorMessage } from '../errors.js';
import { writeFileAtomic } from '../range-index/atomic-file.js';
import { encodeSnapshot, payloadSha256 } from '../range-index/snapshot.js';
import type { EncodedSnapshot } from '../range-index/snapshot.js';
import type { SnapshotData } from '../range-index/types.js';
import { withHistoryLock } from './lock.js';
import { entryFor, readManifest, snapshotFileName, validFromMs as ms, writeManifest } from './manifest.js';
import type { HistoryEntry, Manifest } from './manifest.js';

export interface Retention {
  /** Snapshots whose validity ended more than this many days ago go; 0 keeps every age. */
  days: number;
  /** At most this many entries are kept, the newest; 0 no limit. */
  maxSnapshots: number;
}

export interface FileOptions {
  /** When the snapshot takes effect. */
  validFrom: Date;
  /** Pruned right after filing, under the same lock. */
  retention?: Retention | undefined;
  now?: Date | undefined;
  /** This data as already encoded with `validFrom` (what writeSnapshot wrote): filed as is
   * instead of being encoded and digested again. */
  encoded?: EncodedSnapshot | undefined;
}

/**
 * - added: the snapshot is in force from validFrom (its content may have been in the folder)
 * - replaced: another snapshot had exactly this valid_from; this one takes its place
 * - unchanged: the same content is already in force at validFrom (an earlier entry covers it)
 */
export type FileOutcome = 'added' | 'replaced' | 'unchanged';

export interface FileResult {
  outcome: FileOutcome;
  /** The entry in force at validFrom once filed: the new one, or the earlier one with this content. */
  entry: HistoryEntry;
  /** Whether this content was new to the folder (a snapshot file was written). */
  wroteFile: boolean;
  pruned: PruneResult;
  manifest: Manifest;
}

export interface PruneResult {
  entries: HistoryEntry[];
  files: string[];
}

/** Consecutive entries with one content are one period: the earliest stays. */
function collapse(entries: readonly HistoryEntry[]): HistoryEntry[] {
  return entries.filter((e, i) => i === 0 || entries[i - 1]!.sha256 !== e.sha256);
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Files a snapshot into a history folder (created if missing), content-addressed by the payload
 * digest the snapshot carries: the same content is stored once however often it is filed. Its
 * entry takes effect at `validFrom`. Filing content that is already in force at that time
 * changes nothing (the earlier entry keeps its valid_from and version), so a rebuild that found
 * nothing new does not grow the folder; filing it where another snapshot is in force adds an
 * entry naming the existing file. The snapshot file is written before the manifest that names
 * it, and both atomically, so a reader never meets a half-written file or a dangling entry.
 */
export async function fileSnapshot(dir: string, data: SnapshotData, options: FileOptions): Promise<FileResult> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    throw new IpriskError('HISTORY_UNWRITABLE', `cannot create snapshot history folder ${dir}: ${errorMessage(err)}`, { cause: err });
  }
  const sha = options.encoded?.payloadSha256 ?? payloadSha256(data);
  const file = path.join(dir, snapshotFileName(sha));
  return withHistoryLock(dir, async () => {
    const before = await readManifest(dir);
    const t = options.validFrom.getTime();
    let bytes = await fileSize(file);
    let wroteFile = false;
    if (bytes === undefined) {
      const encoded = options.encoded?.bytes ?? encodeSnapshot({ ...data, validFrom: options.validFrom });
      try {
        await writeFileAtomic(file, encoded);
      } catch (err) {
        throw new IpriskError('HISTORY_UNWRITABLE', `cannot write snapshot ${file} into the history: ${errorMessage(err)}`, { cause: err, canRetry: true });
      }
      bytes = encoded.byteLength;
      wroteFile = true;
    }
    const entry = entryFor(data, sha, options.validFrom, bytes);
    const same = before.snapshots.findIndex((e) => ms(e) === t);
    const outcome: FileOutcome = same >= 0 ? (before.snapshots[same]!.sha256 === sha ? 'unchanged' : 'replaced') : 'added';
    const merged = same >= 0 ? before.snapshots.map((e, i) => (i === same ? entry : e)) : [...before.snapshots, entry].sort((a, b) => ms(a) - ms(b));
    const filed: Manifest = { format: before.format, snapshots: collapse(merged) };
    const changed = !sameEntries(filed, before);
    const { manifest, pruned } = await settle(dir, before, filed, entry, options.retention, options.now ?? new Date());
    const inForce = manifest.snapshots.findLast((e) => ms(e) <= t) ?? entry;
    return { outcome: changed ? outcome : 'unchanged', entry: inForce, wroteFile, pruned, manifest };
  });
}

/**
 * Entries left after applying the retention, oldest first. An entry's validity ends where the
 * next one's begins; those that ended before the cutoff go. The newest entry always stays, and
 * so does the one in force at the cutoff, so every time since the cutoff keeps its answer.
 */
export function keptAfterPruning(entries: readonly HistoryEntry[], retention: Retention, now: Date): HistoryEntry[] {
  let from = 0;
  if (retention.days > 0) {
    const cutoff = now.getTime() - retention.days * 86_400_000;
    while (from < entries.length - 1 && ms(entries[from + 1]!) <= cutoff) from++;
  }
  if (retention.maxSnapshots > 0) from = Math.max(from, entries.length - retention.maxSnapshots);
  return entries.slice(from);
}

/** Prunes a history folder by the retention: entries, then the snapshot files no entry names. */
export async function pruneHistory(dir: string, retention: Retention, now = new Date()): Promise<PruneResult> {
  return withHistoryLock(dir, async () => {
    const before = await readManifest(dir);
    return (await settle(dir, before, before, undefined, retention, now)).pruned;
  });
}

const sameEntries = (a: Manifest, b: Manifest): boolean => JSON.stringify(a.snapshots) === JSON.stringify(b.snapshots);

/**
 * Under the lock: prunes `next` by the retention (if any), writes it in place of `before` when
 * they differ, then removes the snapshot files that neither it names nor any other entry needs
 * (`added` is an entry just filed that may have been pruned or collapsed away at once).
 */
async function settle(
  dir: string,
  before: Manifest,
  next: Manifest,
  added: HistoryEntry | undefined,
  retention: Retention | undefined,
  now: Date,
): Promise<{ manifest: Manifest; pruned: PruneResult }> {
  const kept = retention === undefined ? next.snapshots : keptAfterPruning(next.snapshots, retention, now);
  const entries = next.snapshots.slice(0, next.snapshots.length - kept.length);
  const manifest: Manifest = { format: next.format, snapshots: kept };
  if (!sameEntries(manifest, before)) await writeManifest(dir, manifest);
  const candidates = added === undefined ? before.snapshots : [...before.snapshots, added];
  return { manifest, pruned: { entries, files: await removeUnreferenced(dir, candidates, manifest) } };
}

/** Removes the files of `candidates` that `after` does not name; runs once the new manifest is in place. */
async function removeUnreferenced(dir: string, candidates: readonly HistoryEntry[], after: Manifest): Promise<string[]> {
  const kept = new Set(after.snapshots.map((e) => e.file));
  const gone = [...new Set(candidates.map((e) => e.file))].filter((f) => !kept.has(f));
  for (const f of gone) await fs.rm(path.join(dir, f), { force: true });
  return gone;
}
