import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readManifest } from '../../../src/history/manifest.js';
import { SnapshotHistory } from '../../../src/history/snapshot-history.js';
import { readSnapshot } from '../../../src/range-index/snapshot.js';
import { exitStatusOf } from '../../../src/update/command.js';
import { formatRoundSummary } from '../../../src/update/summary.js';
import { FeedServer } from './feed-server.js';
import { FACTS, FILES, find, serveDefaults, workspace } from './support.js';
import type { Workspace } from './support.js';

let server: FeedServer;
let ws: Workspace;
beforeEach(async () => {
  server = await FeedServer.start();
  serveDefaults(server);
  ws = await workspace(server, { index: '{ path: index.snap, history: history, history_max_snapshots: 2 }' });
});
afterEach(async () => {
  await server.close();
  await ws.cleanup();
});

const snapFiles = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((f) => f.endsWith('.snap'));

describe('index update with index.history', () => {
  it('files each rebuilt snapshot into the history, valid from its build time, and prunes to the newest two', async () => {
    const history = path.join(ws.dir, 'history');
    const first = await ws.round();
    expect(exitStatusOf(first)).toBe(0);
    expect(first.history).toMatchObject({ dir: history, outcome: 'added', version: first.built!.version, prunedSnapshots: 0 });
    expect(formatRoundSummary(first)).toContain(`history ${history}: filed, valid from`);
    const written = await readSnapshot(ws.snapshot);
    expect((await readManifest(history)).snapshots.map((e) => [e.valid_from, e.version])).toEqual([[written.builtAt.toISOString(), written.version]]);

    // A forced rebuild of the same feeds: same content, so the history stays as it was.
    const same = await ws.round({ force: true });
    expect(same.rebuild).toBe('written');
    expect(same.history).toMatchObject({ outcome: 'unchanged', version: first.built!.version });
    expect((await readManifest(history)).snapshots).toHaveLength(1);

    // Tor lists B, A again, then C: periods A B A C, pruned to the newest two (A C) and their files.
    server.serveFile('/torbulkexitlist', FILES.torDoodad, 'text/plain');
    const second = await ws.round();
    expect(second.history).toMatchObject({ outcome: 'added', version: second.built!.version, prunedSnapshots: 0 });
    server.serveFile('/torbulkexitlist', FILES.tor, 'text/plain');
    const third = await ws.round({ force: true });
    expect(third.history).toMatchObject({ outcome: 'added', prunedSnapshots: 1 });
    server.serveFile('/torbulkexitlist', path.join(path.dirname(FILES.tor), 'tor_exits.ipset'), 'text/plain');
    const fourth = await ws.round();
    expect(fourth.history).toMatchObject({ outcome: 'added', prunedSnapshots: 1 });
    const { snapshots } = await readManifest(history);
    expect(snapshots.map((e) => e.version)).toEqual([third.built!.version, fourth.built!.version]);
    expect(await snapFiles(history)).toHaveLength(2);

    // The newest period answers as the snapshot the round wrote; the doodad list's IPv6 exit,
    // Tor only in the pruned second period, is nothing in either period left.
    const opened = await SnapshotHistory.open(history);
    const newest = await opened.load(1);
    expect(newest.version).toBe(fourth.built!.version);
    expect(find(newest, FACTS.firstTorExit)?.security).toEqual(find(await readSnapshot(ws.snapshot), FACTS.firstTorExit)?.security);
    for (const p of [0, 1]) expect(find(await opened.load(p), FACTS.doodadV6Exit)).toBeUndefined();
  });

  it('reports a history it cannot write and exits 1, with the snapshot itself written', async () => {
    const blocked = await workspace(server, { index: '{ path: index.snap, history: sources.yaml }' });
    try {
      const report = await blocked.round();
      expect(report.rebuild).toBe('written');
      expect(report.history?.error).toContain(path.join(blocked.dir, 'sources.yaml'));
      expect(exitStatusOf(report)).toBe(1);
      expect(formatRoundSummary(report)).toContain('NOT filed');
      expect((await readSnapshot(blocked.snapshot)).version).toBe(report.built!.version);
    } finally {
      await blocked.cleanup();
    }
  });
});
