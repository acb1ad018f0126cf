import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE, withHistoryLock } from '../../../src/history/lock.js';

describe('withHistoryLock', () => {
  it('removes its lock when done', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'iprisk-lock-'));
    const inside = await withHistoryLock(dir, () => Promise.resolve(existsSync(path.join(dir, LOCK_FILE))));
    expect(inside).toBe(true);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('a writer whose lock was taken over as stale leaves the new holder its lock', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'iprisk-lock-'));
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
});
