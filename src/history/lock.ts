import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { IpriskError, errorMessage } from '../errors.js';

export const LOCK_FILE = 'manifest.lock';

export interface LockOptions {
  /** How long to wait for another writer to finish. */
  waitMs?: number;
  /** A lock older than this was left by a writer that died; it is taken over. Filing a snapshot
   * takes seconds, so ten minutes is far beyond any live writer. */
  staleMs?: number;
}

const POLL_MS = 50;

/**
 * Runs `fn` holding the folder's writer lock: `index build --history` and `index update` may
 * file into one folder at the same time, and each rewrites the manifest from what it read.
 * Readers need no lock: the manifest is replaced by an atomic rename.
 */
export async function withHistoryLock<T>(dir: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const file = path.join(dir, LOCK_FILE);
  const waitMs = options.waitMs ?? 30_000;
  const staleMs = options.staleMs ?? 10 * 60_000;
  const started = Date.now();
  // Names this holding of the lock, so that releasing it never removes another writer's.
  const token = `${process.pid} ${randomUUID()}\n`;
  for (;;) {
    try {
      await fs.writeFile(file, token, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new IpriskError('HISTORY_UNWRITABLE', `cannot lock snapshot history ${dir}: ${errorMessage(err)}`, { cause: err, canRetry: true });
      }
    }
    const since = await lockTime(file);
    if (since !== undefined && Date.now() - since > staleMs) {
      await takeOverStale(file, staleMs);
      continue;
    }
    if (Date.now() - started > waitMs) {
      throw new IpriskError(
        'HISTORY_UNWRITABLE',
        `snapshot history ${dir} is locked by another writer (${file}, taken ${since === undefined ? 'just now' : new Date(since).toISOString()}); remove that file if no iprisk is filing into this folder`,
        { canRetry: true },
      );
    }
    await sleep(POLL_MS);
  }
  try {
    return await fn();
  } finally {
    // Held past staleMs, the lock may have been taken over: that writer's lock stays.
    if ((await fs.readFile(file, 'utf8').catch(() => undefined)) === token) await fs.rm(file, { force: true });
  }
}

/**
 * Removes a stale lock so that the caller may try to create its own. Writers that saw the same
 * stale lock race here: removing the path outright could remove a lock another of them has just
 * created. Instead the lock is moved aside under a unique name (rename is atomic, so only one
 * writer moves any one file) and checked: if what was moved is still stale it is removed, and if
 * it is a fresh lock taken meanwhile it is put back, unless yet another lock appeared first.
 */
export async function takeOverStale(file: string, staleMs: number): Promise<void> {
  const aside = `${file}.${process.pid}-${randomUUID()}`;
  try {
    await fs.rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new IpriskError('HISTORY_UNWRITABLE', `cannot take over stale lock ${file}: ${errorMessage(err)}`, { cause: err, canRetry: true });
  }
  const since = await lockTime(aside);
  if (since !== undefined && Date.now() - since <= staleMs) {
    // link fails if a lock exists at the path: it never replaces one.
    await fs.link(aside, file).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
}

async function lockTime(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}
