import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestFile, readFeedState, stateFileOf, writeFeedState } from '../../../src/update/feed-state.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'iprisk-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('feed state', () => {
  it('is remembered beside the feed and read back as written', async () => {
    const feed = path.join(dir, 'aws.json');
    const state = {
      url: 'https://ip-ranges.amazonaws.com/ip-ranges.json',
      etag: '"abc"',
      last_modified: 'Wed, 01 Jan 2025 00:01:00 GMT',
      sha256: 'a'.repeat(64),
      bytes: 10,
      downloaded_at: '2025-01-01T00:00:00.000Z',
      checked_at: '2025-01-02T00:00:00.000Z',
    };
    await writeFeedState(feed, state);
    expect(stateFileOf(feed)).toBe(`${feed}.meta.json`);
    expect(await readFeedState(feed)).toEqual(state);
  });

  it('is ignored when missing or damaged, which only costs a full download', async () => {
    const feed = path.join(dir, 'tor.txt');
    expect(await readFeedState(feed)).toBeUndefined();
    await writeFile(stateFileOf(feed), '{"url": 1');
    expect(await readFeedState(feed)).toBeUndefined();
    await writeFile(stateFileOf(feed), '{"url": "x", "sha256": "not hex"}');
    expect(await readFeedState(feed)).toBeUndefined();
  });

  it('digests a file as sha256 over its bytes', async () => {
    const file = path.join(dir, 'f');
    await writeFile(file, 'one\ntwo\n');
    expect(await digestFile(file)).toEqual({ sha256: createHash('sha256').update('one\ntwo\n').digest('hex'), bytes: 8 });
    expect(await digestFile(path.join(dir, 'missing'))).toBeUndefined();
  });
});
