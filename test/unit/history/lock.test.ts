import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, takeOverStale, withHistoryLock } from '../../../src/history/lock.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'iprisk-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A lock left by a writer that died an hour ago. */
function writeStaleLock(file: string): void {
  writeFileSync(file, 'a writer that died\n');
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(file, hourAgo, hourAgo);
}

describe('withHistoryLock', () => {
  it('removes its lock when done', async () => {
    const dir = tempDir();
    const inside = await withHistoryLock(dir, () => Promise.resolve(existsSync(path.join(dir, LOCK_FILE))));
    expect(inside).toBe(true);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('a writer whose lock was taken over as stale leaves the new holder its lock', async () => {
    const dir = tempDir();
    const file = path.join(dir, LOCK_FILE);
    let release: () => void = () => undefined;
    const first = withHistoryLock(dir, () => new Promise<void>((resolve) => (release = resolve)));
    while (!existsSync(file)) await sleep(5);
    const firstLock = readFileSync(file, 'utf8');
    await sleep(20);
    // Any lock older than 10 ms counts as stale for this writer: it takes the first one's over.
    await withHistoryLock(
      dir,
      async () => {
        const secondLock = readFileSync(file, 'utf8');
        expect(secondLock).not.toBe(firstLock);
        release();
        await first;
        expect(existsSync(file)).toBe(true);
        expect(readFileSync(file, 'utf8')).toBe(secondLock);
      },
      { staleMs: 10 },
    );
    expect(existsSync(file)).toBe(false);
  });

  it('writers that all find one stale lock take it over one at a time', async () => {
    const dir = tempDir();
    const file = path.join(dir, LOCK_FILE);
    writeStaleLock(file);
    let holding = 0;
    let most = 0;
    const writer = (): Promise<void> =>
      withHistoryLock(dir, async () => {
        holding++;
        most = Math.max(most, holding);
        await sleep(20);
        holding--;
      });
    await Promise.all(Array.from({ length: 8 }, writer));
    expect(most).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a writer that found the lock stale leaves one taken meanwhile by another writer', async () => {
    const dir = tempDir();
    const file = path.join(dir, LOCK_FILE);
    // The stale lock this writer saw is gone already and another writer holds a fresh one.
    writeFileSync(file, 'the new holder\n');
    await takeOverStale(file, 60_000);
    expect(readFileSync(file, 'utf8')).toBe('the new holder\n');
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
  });

  it('a stale lock is removed by the writer that takes it over', async () => {
    const dir = tempDir();
    const file = path.join(dir, LOCK_FILE);
    writeStaleLock(file);
    await takeOverStale(file, 60_000);
    expect(readdirSync(dir)).toEqual([]);
  });
});
