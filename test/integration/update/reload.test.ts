import { afterEach, describe, expect, it } from 'vitest';
import { IndexHolder } from '../../../src/range-index/reload.js';
import type { ReloadOutcome } from '../../../src/range-index/reload.js';
import type { RangeIndex } from '../../../src/range-index/types.js';
import { FeedServer } from './feed-server.js';
import { FACTS, FILES, find, serveDefaults, workspace } from './support.js';
import type { Workspace } from './support.js';

let server: FeedServer | undefined;
let ws: Workspace | undefined;
let holder: IndexHolder | undefined;

afterEach(async () => {
  holder?.close();
  await server?.close();
  await ws?.cleanup();
});

/** Resolves with the first reload the holder reports; rejects after 10 s so a missed swap fails the test. */
function nextReload(register: (onReload: (outcome: ReloadOutcome, result: RangeIndex | Error) => void) => void): Promise<RangeIndex> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('no reload within 10 s'));
    }, 10_000);
    register((outcome, result) => {
      clearTimeout(timer);
      if (outcome === 'success') resolve(result as RangeIndex);
      else reject(result instanceof Error ? result : new Error('reload failed'));
    });
  });
}

describe('index update and a running process', () => {
  it('makes an IndexHolder watching the snapshot swap to the rebuilt index', async () => {
    server = await FeedServer.start();
    serveDefaults(server);
    ws = await workspace(server);
    await ws.round();

    holder = await IndexHolder.open(ws.snapshot);
    const before = holder.current;
    expect(find(before, FACTS.firstTorExit)?.security.is_tor).toBe(true);
    expect(find(before, FACTS.doodadV6Exit)).toBeUndefined();

    const h = holder;
    const snapshot = ws.snapshot;
    const reloaded = nextReload((onReload) => {
      h.watchSnapshot(snapshot, { debounceMs: 20, onReload });
    });
    // The publisher's next list carries IPv6 exits the first one lacked.
    server.serveFile('/torbulkexitlist', FILES.torDoodad, 'text/plain');
    const report = await ws.round();
    expect(report.rebuild).toBe('written');

    const after = await reloaded;
    expect(after.version).toBe(report.built?.version);
    expect(holder.current).toBe(after);
    expect(find(after, FACTS.doodadV6Exit)?.security.is_tor).toBe(true);
    // The index that was being served is untouched: readers holding it saw no half-swap.
    expect(find(before, FACTS.doodadV6Exit)).toBeUndefined();
  });
});
