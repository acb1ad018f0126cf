import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexHolder } from '../../../src/range-index/reload.js';
import type { ReloadLogger, ReloadOutcome } from '../../../src/range-index/reload.js';
import { buildIndex } from '../../../src/range-index/build.js';
import { writeSnapshot } from '../../../src/range-index/snapshot.js';
import type { RangeIndex, SnapshotData } from '../../../src/range-index/types.js';
import { find, source } from './sources.js';

function snapshot(version: string, cidr: string): SnapshotData {
  return buildIndex([source('tor', [[cidr, { is_tor: true }]])], { version });
}

interface Reported {
  outcome: ReloadOutcome;
  result: RangeIndex | Error;
}

/** Collects onReload reports and lets a test wait for the one it expects. */
class Reports {
  private readonly seen: Reported[] = [];
  private readonly waiting: { test: (r: Reported) => boolean; resolve: (r: Reported) => void }[] = [];

  readonly onReload = (outcome: ReloadOutcome, result: RangeIndex | Error): void => {
    const report = { outcome, result };
    this.seen.push(report);
    for (const w of [...this.waiting]) {
      if (w.test(report)) {
        this.waiting.splice(this.waiting.indexOf(w), 1);
        w.resolve(report);
      }
    }
  };

  next(test: (r: Reported) => boolean): Promise<Reported> {
    const done = this.seen.find(test);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => this.waiting.push({ test, resolve }));
  }
}

/** A real logger of the ReloadLogger shape that keeps what it was told. */
class MemoryLogger implements ReloadLogger {
  readonly lines: { level: 'info' | 'error'; obj: object; msg: string }[] = [];
  info(obj: object, msg: string): void {
    this.lines.push({ level: 'info', obj, msg });
  }
  error(obj: object, msg: string): void {
    this.lines.push({ level: 'error', obj, msg });
  }
}

const isVersion = (version: string) => (r: Reported) => r.outcome === 'success' && (r.result as RangeIndex).version === version;
const isFailure = (r: Reported): boolean => r.outcome === 'failure';

describe('IndexHolder', () => {
  let dir = '';
  let file = '';
  let holder: IndexHolder | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'iprisk-reload-'));
    file = path.join(dir, 'index.snap');
    await writeSnapshot(file, snapshot('one', '1.1.1.0/24'));
  });

  afterEach(async () => {
    holder?.close();
    holder = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('swaps to a new snapshot written in place by writeSnapshot', async () => {
    holder = await IndexHolder.open(file);
    const reports = new Reports();
    holder.watchSnapshot(file, { debounceMs: 20, onReload: reports.onReload });
    const before = holder.current;
    expect(find(before, '1.1.1.1')?.security.is_tor).toBe(true);

    await writeSnapshot(file, snapshot('two', '2.2.2.0/24'));
    await reports.next(isVersion('two'));

    expect(holder.current.version).toBe('two');
    expect(find(holder.current, '2.2.2.2')?.security.is_tor).toBe(true);
    expect(find(holder.current, '1.1.1.1')).toBeUndefined();
    // A reader that took the old reference keeps a complete, working index.
    expect(find(before, '1.1.1.1')?.security.is_tor).toBe(true);
    expect(holder.reloads.success).toBeGreaterThanOrEqual(1);
  });

  it('keeps serving the old index when the new file is broken, and takes the next good one', async () => {
    holder = await IndexHolder.open(file);
    const reports = new Reports();
    const logger = new MemoryLogger();
    holder.watchSnapshot(file, { debounceMs: 20, onReload: reports.onReload, logger });

    const broken = path.join(dir, 'broken.tmp');
    await writeFile(broken, 'this is not a snapshot');
    await rename(broken, file);
    const failure = await reports.next(isFailure);

    expect((failure.result as Error).message).toContain(file);
    expect(holder.current.version).toBe('one');
    expect(find(holder.current, '1.1.1.1')?.security.is_tor).toBe(true);
    expect(holder.reloads.failure).toBeGreaterThanOrEqual(1);
    expect(logger.lines.some((l) => l.level === 'error' && l.msg.includes('rejected'))).toBe(true);

    await writeSnapshot(file, snapshot('three', '3.3.3.0/24'));
    await reports.next(isVersion('three'));
    expect(holder.current.version).toBe('three');
    expect(logger.lines.some((l) => l.level === 'info' && l.msg.includes('reloaded'))).toBe(true);
  });

  it('reloads on demand and reports each outcome by count', async () => {
    holder = await IndexHolder.open(file);
    await writeSnapshot(file, snapshot('forced', '4.4.4.0/24'));
    expect(await holder.reload()).toBe('success');
    expect(holder.current.version).toBe('forced');

    await writeFile(file, Buffer.alloc(100));
    expect(await holder.reload()).toBe('failure');
    expect(holder.current.version).toBe('forced');
    expect(holder.reloads).toEqual({ success: 1, failure: 1 });
  });

  it('refuses to reload when it was given no snapshot file', async () => {
    const fixed = new IndexHolder((await IndexHolder.open(file)).current);
    await expect(fixed.reload()).rejects.toThrow(/no snapshot file/);
  });
});
