import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IpriskError } from '../../../src/errors.js';
import { MANIFEST_FILE, readManifest } from '../../../src/history/manifest.js';
import { fileSnapshot, keptAfterPruning, pruneHistory } from '../../../src/history/store.js';
import { buildIndex } from '../../../src/range-index/build.js';
import { payloadSha256, readSnapshot } from '../../../src/range-index/snapshot.js';
import type { SnapshotData } from '../../../src/range-index/types.js';
import { sourceOf } from '../../helpers/build-index.js';
import { find } from '../range-index/sources.js';
import { tempDir as makeTempDir } from '../../helpers/temp-dir.js';

const tempDir = (): Promise<string> => Promise.resolve(makeTempDir('iprisk-history-'));

/** Snapshot `n`: 5.n.0.0/16 is a VPN range, so every n gives different content. */
function snapshot(n: number, version = `v${n}`, builtAt = new Date('2025-06-01T00:00:00Z')): SnapshotData {
  return buildIndex(
    [
      sourceOf('vpn', [[`5.${n}.0.0/16`, { is_vpn: true }]]),
      sourceOf('tor', [['185.220.101.0/24', { is_tor: true }]]),
    ],
    { version, builtAt },
  );
}

const day = (d: number): Date => new Date(Date.UTC(2025, 5, d));
const files = async (dir: string): Promise<string[]> => (await readdir(dir)).sort();

describe('filing a snapshot into a history folder', () => {
  it('stores it under its payload digest and lists it in the manifest with its counts', async () => {
    const dir = path.join(await tempDir(), 'history');
    const data = snapshot(1);
    const result = await fileSnapshot(dir, data, { validFrom: day(1) });

    const sha = payloadSha256(data);
    expect(result).toMatchObject({ outcome: 'added', wroteFile: true });
    expect(await files(dir)).toEqual([`${sha}.snap`, MANIFEST_FILE]);
    const manifest = await readManifest(dir);
    expect(manifest.snapshots).toEqual([
      {
        valid_from: '2025-06-01T00:00:00.000Z',
        version: 'v1',
        sha256: sha,
        file: `${sha}.snap`,
        built_at: '2025-06-01T00:00:00.000Z',
        bytes: result.entry.bytes,
        ranges: { v4: 2, v6: 0 },
        entries: 2,
        flagged_ranges: expect.objectContaining({ is_vpn: 1, is_tor: 1, is_anonymous: 2, is_proxy: 0 }) as unknown,
      },
    ]);
    const stored = await readSnapshot(path.join(dir, `${sha}.snap`));
    expect(stored.validFrom.toISOString()).toBe('2025-06-01T00:00:00.000Z');
    expect(find(stored, '5.1.2.3')?.security.is_vpn).toBe(true);
    expect((await readFile(path.join(dir, `${sha}.snap`))).byteLength).toBe(result.entry.bytes);
  });

  it('does not grow the folder when a rebuild with the same content is filed later', async () => {
    const dir = await tempDir();
    await fileSnapshot(dir, snapshot(1), { validFrom: day(1) });
    const before = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
    // A rebuild: same answers, a new build time and so a new version.
    const again = await fileSnapshot(dir, snapshot(1, 'v1-rebuilt', day(2)), { validFrom: day(2) });

    expect(again.outcome).toBe('unchanged');
    expect(again.wroteFile).toBe(false);
    expect(again.entry.version).toBe('v1');
    expect(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')).toBe(before);
    expect(await files(dir)).toHaveLength(2);
  });

  it('keeps the earliest validity when the same content is filed with an earlier valid_from', async () => {
    const dir = await tempDir();
    await fileSnapshot(dir, snapshot(1), { validFrom: day(5) });
    const earlier = await fileSnapshot(dir, snapshot(1, 'v1-early'), { validFrom: day(3) });

    expect(earlier.outcome).toBe('added');
    const { snapshots } = await readManifest(dir);
    expect(snapshots.map((e) => [e.valid_from, e.version])).toEqual([['2025-06-03T00:00:00.000Z', 'v1-early']]);
    expect(await files(dir)).toHaveLength(2);
  });

  it('names the stored file again when content comes back after another snapshot', async () => {
    const dir = await tempDir();
    await fileSnapshot(dir, snapshot(1), { validFrom: day(1) });
    await fileSnapshot(dir, snapshot(2), { validFrom: day(2) });
    const back = await fileSnapshot(dir, snapshot(1, 'v1-again'), { validFrom: day(3) });

    expect(back).toMatchObject({ outcome: 'added', wroteFile: false });
    const { snapshots } = await readManifest(dir);
    expect(snapshots.map((e) => e.version)).toEqual(['v1', 'v2', 'v1-again']);
    expect(snapshots[2]!.file).toBe(snapshots[0]!.file);
    expect((await files(dir)).filter((f) => f.endsWith('.snap'))).toHaveLength(2);
  });

  it('replaces a snapshot filed with exactly the same valid_from and removes its file', async () => {
    const dir = await tempDir();
    const first = await fileSnapshot(dir, snapshot(1), { validFrom: day(1) });
    const second = await fileSnapshot(dir, snapshot(2), { validFrom: day(1) });

    expect(second.outcome).toBe('replaced');
    expect((await readManifest(dir)).snapshots.map((e) => e.version)).toEqual(['v2']);
    expect(await files(dir)).not.toContain(first.entry.file);
    expect(await files(dir)).toContain(second.entry.file);
  });

  it('leaves no temporary file behind and keeps every filing of writers running at once', async () => {
    const dir = await tempDir();
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => fileSnapshot(dir, snapshot(n), { validFrom: day(n) })));

    const { snapshots } = await readManifest(dir);
    expect(snapshots.map((e) => e.version)).toEqual(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    expect((await files(dir)).filter((f) => !f.endsWith('.snap'))).toEqual([MANIFEST_FILE]);
  });

  it('never shows a reader a half-written manifest while snapshots are filed', async () => {
    const dir = await tempDir();
    await fileSnapshot(dir, snapshot(0), { validFrom: day(1) });
    let filing = true;
    const writer = (async () => {
      for (let n = 1; n <= 20; n++) await fileSnapshot(dir, snapshot(n), { validFrom: new Date(day(1).getTime() + n * 60_000) });
      filing = false;
    })();
    let reads = 0;
    const counts = new Set<number>();
    while (filing) {
      // readManifest parses and validates the whole file; a partial write would throw here.
      counts.add((await readManifest(dir)).snapshots.length);
      reads++;
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
    expect((await readManifest(dir)).snapshots).toHaveLength(21);
  });
});

describe('pruning a history folder', () => {
  async function history(days: readonly number[]): Promise<string> {
    const dir = await tempDir();
    for (const d of days) await fileSnapshot(dir, snapshot(d), { validFrom: day(d) });
    return dir;
  }

  it('drops entries whose validity ended before the retention cutoff, keeping the one in force at it', async () => {
    const dir = await history([1, 2, 3, 4, 5]);
    // Cutoff 2025-06-03T12:00Z: the day-3 snapshot is in force then, so days 1 and 2 go.
    const pruned = await pruneHistory(dir, { days: 2, maxSnapshots: 0 }, new Date('2025-06-05T12:00:00Z'));

    expect(pruned.entries.map((e) => e.version)).toEqual(['v1', 'v2']);
    expect((await readManifest(dir)).snapshots.map((e) => e.version)).toEqual(['v3', 'v4', 'v5']);
    for (const f of pruned.files) expect(await files(dir)).not.toContain(f);
    expect((await files(dir)).filter((f) => f.endsWith('.snap'))).toHaveLength(3);
  });

  it('keeps at most the newest max_snapshots entries', async () => {
    const dir = await history([1, 2, 3, 4]);
    await pruneHistory(dir, { days: 0, maxSnapshots: 2 });
    expect((await readManifest(dir)).snapshots.map((e) => e.version)).toEqual(['v3', 'v4']);
  });

  it('keeps the newest snapshot however old it is, and a file another kept entry still names', async () => {
    const dir = await tempDir();
    await fileSnapshot(dir, snapshot(1), { validFrom: day(1) });
    await fileSnapshot(dir, snapshot(2), { validFrom: day(2) });
    await fileSnapshot(dir, snapshot(1, 'v1-again'), { validFrom: day(3) });
    const pruned = await pruneHistory(dir, { days: 1, maxSnapshots: 0 }, new Date('2026-01-01T00:00:00Z'));

    expect((await readManifest(dir)).snapshots.map((e) => e.version)).toEqual(['v1-again']);
    expect(pruned.files).toHaveLength(1);
    expect(await files(dir)).toContain((await readManifest(dir)).snapshots[0]!.file);
  });

  it('prunes right after filing when a retention is given', async () => {
    const dir = await history([1, 2, 3]);
    const result = await fileSnapshot(dir, snapshot(4), { validFrom: day(4), retention: { days: 0, maxSnapshots: 2 } });
    expect(result.pruned.entries.map((e) => e.version)).toEqual(['v1', 'v2']);
    expect((await readManifest(dir)).snapshots.map((e) => e.version)).toEqual(['v3', 'v4']);
  });

  it('keeps everything when neither limit is set', () => {
    const entries = [1, 2, 3].map((d) => ({ valid_from: day(d).toISOString() }) as Parameters<typeof keptAfterPruning>[0][number]);
    expect(keptAfterPruning(entries, { days: 0, maxSnapshots: 0 }, new Date('2030-01-01T00:00:00Z'))).toHaveLength(3);
  });
});

describe('reading a manifest', () => {
  it('names the field path and the file of a malformed entry', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify({ format: 1, snapshots: [{ valid_from: 'yesterday' }] }));
    const err = await readManifest(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpriskError);
    expect((err as IpriskError).code).toBe('HISTORY_INVALID');
    expect((err as Error).message).toContain(path.join(dir, MANIFEST_FILE));
    expect((err as Error).message).toContain('snapshots.0.valid_from');
  });

  it('refuses entries that are not in ascending valid_from order', async () => {
    const dir = await tempDir();
    await fileSnapshot(dir, snapshot(1), { validFrom: day(1) });
    await fileSnapshot(dir, snapshot(2), { validFrom: day(2) });
    const manifest = await readManifest(dir);
    manifest.snapshots.reverse();
    await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest));
    await expect(readManifest(dir)).rejects.toThrow(/snapshots\.1\.valid_from '2025-06-01T00:00:00.000Z' is not later/);
  });

  it('is empty for a folder with no manifest yet', async () => {
    expect((await readManifest(path.join(await tempDir(), 'none'))).snapshots).toEqual([]);
  });
});
