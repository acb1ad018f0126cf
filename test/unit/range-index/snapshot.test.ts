import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpriskError } from '../../../src/errors.js';
import { buildIndex } from '../../../src/range-index/build.js';
import { FORMAT_VERSION, decodeSnapshot, encodeSnapshot, readSnapshot, writeSnapshot } from '../../../src/range-index/snapshot.js';
import type { SnapshotData } from '../../../src/range-index/types.js';
import { find, match, source } from './sources.js';

const data: SnapshotData = buildIndex(
  [
    source('tor', [['185.220.101.0/24', { is_tor: true }], ['2a0b:f4c2::/40', { is_tor: true }]], 2),
    source('cloud', [['185.220.0.0/16', { is_cloud_provider: true, cloud_provider_name: 'Hoster' }], ['3.0.0.0/8', { is_cloud_provider: true, cloud_provider_name: 'AWS' }]]),
  ],
  { builtAt: new Date('2025-06-01T10:00:00Z') },
);
const bytes = encodeSnapshot(data);

function expectInvalid(buf: Uint8Array, origin: string, why?: RegExp): void {
  let caught: unknown;
  try {
    decodeSnapshot(buf, origin);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(IpriskError);
  const err = caught as IpriskError;
  expect(err.code).toBe('SNAPSHOT_INVALID');
  expect(err.message).toContain(origin);
  if (why) expect(err.message).toMatch(why);
}

describe('snapshot encoding', () => {
  it('round-trips version, build time, statistics and answers', () => {
    const index = decodeSnapshot(bytes, 'memory');
    expect(index.version).toBe(data.version);
    expect(index.builtAt.toISOString()).toBe('2025-06-01T10:00:00.000Z');
    expect(index.stats).toEqual(data.stats);
    const tor = match(index, '185.220.101.7');
    expect(tor?.network).toBe('185.220.101.0/24');
    expect(tor?.entry.sources).toEqual(['tor', 'cloud']);
    expect(tor?.entry.security.is_tor).toBe(true);
    expect(tor?.entry.security.cloud_provider_name).toBe('Hoster');
    expect(match(index, '2a0b:f4c2:0:1::9')?.network).toBe('2a0b:f4c2::/40');
    expect(find(index, '4.0.0.0')).toBeUndefined();
  });

  it('carries the time it takes effect, and takes its build time for it when unstamped', () => {
    const stamped = decodeSnapshot(encodeSnapshot({ ...data, validFrom: new Date('2025-05-31T22:00:00Z') }), 'stamped');
    expect(stamped.validFrom.toISOString()).toBe('2025-05-31T22:00:00.000Z');
    expect(decodeSnapshot(bytes, 'unstamped').validFrom.toISOString()).toBe('2025-06-01T10:00:00.000Z');
  });

  it('starts with the magic bytes and the format version', () => {
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('IPRISK\0S');
    expect(bytes.readUInt32LE(8)).toBe(FORMAT_VERSION);
  });

  it('loads from a buffer that is not 8-byte aligned', () => {
    const backing = Buffer.alloc(bytes.length + 3);
    bytes.copy(backing, 3);
    const shifted = backing.subarray(3);
    expect(shifted.byteOffset % 8).not.toBe(0);
    expect(find(decodeSnapshot(shifted, 'shifted'), '185.220.101.7')?.security.is_tor).toBe(true);
  });

  it('rejects a snapshot in which any single byte was changed', () => {
    for (let i = 0; i < bytes.length; i++) {
      const copy = Buffer.from(bytes);
      copy[i] = copy[i]! ^ 0x20;
      expectInvalid(copy, `flipped-${i}`);
    }
  });

  it('rejects a truncated snapshot at any length', () => {
    for (const length of [0, 4, 8, 20, 47, 48, 100, bytes.length - 100, bytes.length - 8, bytes.length - 1]) {
      expectInvalid(bytes.subarray(0, length), `truncated-${length}`);
    }
  });

  it('rejects bytes appended after the payload', () => {
    expectInvalid(Buffer.concat([bytes, Buffer.alloc(8)]), 'appended', /unexpected bytes/);
  });

  it('rejects a file of another kind, saying the magic does not match', () => {
    expectInvalid(Buffer.from('{"sources": []}\n'), 'config.json', /magic/);
    expectInvalid(Buffer.from('MaxMind.com' + '\0'.repeat(64)), 'geo.mmdb', /magic/);
  });

  it('rejects another format version, naming both versions', () => {
    const copy = Buffer.from(bytes);
    copy.writeUInt32LE(FORMAT_VERSION + 1, 8);
    expectInvalid(copy, 'future.snap', new RegExp(`format version ${FORMAT_VERSION + 1}.*${FORMAT_VERSION}`));
  });
});

describe('snapshot files', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'iprisk-snapshot-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a file that reads back identical, leaving no temporary file behind', async () => {
    const file = path.join(dir, 'index.snap');
    const { bytes: written } = await writeSnapshot(file, data);
    expect(written).toBe(bytes.length);
    expect(await readdir(dir)).toEqual(['index.snap']);
    expect(Buffer.compare(await readFile(file), bytes)).toBe(0);
    const index = await readSnapshot(file);
    expect(index.version).toBe(data.version);
    expect(find(index, '3.3.3.3')?.security.cloud_provider_name).toBe('AWS');
  });

  it('replaces an existing snapshot', async () => {
    const file = path.join(dir, 'replaced.snap');
    await writeFile(file, 'old contents');
    await writeSnapshot(file, data);
    expect((await readSnapshot(file)).version).toBe(data.version);
  });

  it('reports a missing file as unreadable, naming it', async () => {
    const file = path.join(dir, 'missing.snap');
    await expect(readSnapshot(file)).rejects.toMatchObject({ code: 'SNAPSHOT_UNREADABLE', message: expect.stringContaining(file) as unknown });
  });

  it('reports a corrupted file as invalid, naming it', async () => {
    const file = path.join(dir, 'corrupt.snap');
    const copy = Buffer.from(bytes);
    copy[copy.length - 9] = copy[copy.length - 9]! ^ 1;
    await writeFile(file, copy);
    await expect(readSnapshot(file)).rejects.toMatchObject({ code: 'SNAPSHOT_INVALID', message: expect.stringContaining(file) as unknown });
  });
});
