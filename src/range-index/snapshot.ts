import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { IpriskError, errorMessage } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { CompiledRangeIndex } from './range-index.js';
import { FLAG_NAMES } from './types.js';
import type { IndexStats, SegmentArrays, SnapshotData, SnapshotEntry } from './types.js';

/*
 * Snapshot file layout. Integers are little-endian; every section starts on an 8-byte boundary
 * so that the arrays load as zero-copy views of the file's buffer.
 *
 *   offset   size   field
 *   0        8      magic "IPRISK\0S"
 *   8        4      format version, u32 (FORMAT_VERSION)
 *   12       4      header length H, u32, a multiple of 8
 *   16       32     sha256 of the H header bytes
 *   48       H      header JSON, utf-8, padded with spaces:
 *                     { version, built_at, valid_from, stats, payload_bytes, payload_sha256,
 *                       counts: { entries, entries_json_bytes, segments_v4, segments_v6 } }
 *                     (valid_from: when the snapshot takes effect for as-of enrichment;
 *                     absent in older files, where built_at stands for it)
 *   48+H     P      payload, each section padded with zero bytes to a multiple of 8:
 *                     entries JSON   [{ security, sources }, ...]   entries_json_bytes
 *                     v4 starts      u32 x n4                      (n4 = segments_v4)
 *                     v4 entry ids   i32 x n4                      (-1: gap)
 *                     v4 prefixes    u8  x n4
 *                     v6 starts      u32 x 4*n6, most significant word first
 *                     v6 entry ids   i32 x n6
 *                     v6 prefixes    u8  x n6
 *
 * The two digests cover every byte after the preamble, so a flipped bit anywhere is caught.
 */
const MAGIC = Buffer.from('IPRISK\0S', 'latin1');
export const FORMAT_VERSION = 1;
const PREAMBLE_BYTES = 48;
const LITTLE_ENDIAN = os.endianness() === 'LE';

const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

const count = z.number().int().nonnegative();
const sourceStatsSchema = z.object({
  name: z.string(),
  format: z.string(),
  networksV4: count,
  networksV6: count,
  problems: count,
  rangesV4: count,
  rangesV6: count,
  benign: z.object({ provider: z.string(), clearedRangesV4: count, clearedRangesV6: count }).optional(),
});
const flagStatsSchema = z.object({ rangesV4: count, rangesV6: count, addressesV4: count });
const headerSchema = z.object({
  version: z.string().min(1),
  built_at: z.iso.datetime(),
  valid_from: z.iso.datetime().optional(),
  stats: z.object({
    rangesV4: count,
    rangesV6: count,
    entries: count,
    sources: z.array(sourceStatsSchema),
    flags: z.object(Object.fromEntries(FLAG_NAMES.map((f) => [f, flagStatsSchema]))),
    bogonNetworksClipped: count,
  }),
  payload_bytes: count,
  payload_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  counts: z.object({ entries: count, entries_json_bytes: count, segments_v4: count, segments_v6: count }),
});
type Header = z.infer<typeof headerSchema>;

const entriesSchema = z.array(z.object({ security: z.record(z.string(), z.unknown()), sources: z.array(z.string()) }));

interface Payload {
  bytes: Buffer;
  entriesJsonBytes: number;
}

type Words = Uint32Array | Int32Array | Uint8Array;

/** The array's bytes in file order (little-endian): a view on little-endian hosts. */
function fileBytes(array: Words): Uint8Array {
  if (LITTLE_ENDIAN || array instanceof Uint8Array) return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const out = new Uint8Array(array.byteLength);
  const view = new DataView(out.buffer);
  array.forEach((v, i) => {
    view.setUint32(i * 4, v >>> 0, true);
  });
  return out;
}

function encodePayload(data: Pick<SnapshotData, 'entries' | 'v4' | 'v6'>): Payload {
  const entriesJson = Buffer.from(JSON.stringify(data.entries), 'utf8');
  const sections: Uint8Array[] = [
    entriesJson,
    fileBytes(data.v4.starts),
    fileBytes(data.v4.entryIds),
    fileBytes(data.v4.prefixes),
    fileBytes(data.v6.starts),
    fileBytes(data.v6.entryIds),
    fileBytes(data.v6.prefixes),
  ];
  const bytes = Buffer.alloc(sections.reduce((sum, s) => sum + pad8(s.byteLength), 0));
  let at = 0;
  for (const s of sections) {
    bytes.set(s, at);
    at += pad8(s.byteLength);
  }
  return { bytes, entriesJsonBytes: entriesJson.byteLength };
}

const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

/** The digest a snapshot of this data would carry: the builder names versions after it. */
export function payloadSha256(data: Pick<SnapshotData, 'entries' | 'v4' | 'v6'>): string {
  return sha256(encodePayload(data).bytes).toString('hex');
}

/** A snapshot's file bytes with the payload digest its header carries. */
export interface EncodedSnapshot {
  bytes: Buffer;
  payloadSha256: string;
}

export function encodeSnapshot(data: SnapshotData): Buffer {
  return encodeSnapshotWithDigest(data).bytes;
}

export function encodeSnapshotWithDigest(data: SnapshotData): EncodedSnapshot {
  const payload = encodePayload(data);
  const payloadSha256 = sha256(payload.bytes).toString('hex');
  const header: Header = {
    version: data.version,
    built_at: data.builtAt.toISOString(),
    ...(data.validFrom === undefined ? {} : { valid_from: data.validFrom.toISOString() }),
    stats: data.stats,
    payload_bytes: payload.bytes.byteLength,
    payload_sha256: payloadSha256,
    counts: {
      entries: data.entries.length,
      entries_json_bytes: payload.entriesJsonBytes,
      segments_v4: data.v4.entryIds.length,
      segments_v6: data.v6.entryIds.length,
    },
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerBytes = Buffer.alloc(pad8(json.byteLength), ' ');
  json.copy(headerBytes);
  const preamble = Buffer.alloc(PREAMBLE_BYTES);
  MAGIC.copy(preamble, 0);
  preamble.writeUInt32LE(FORMAT_VERSION, 8);
  preamble.writeUInt32LE(headerBytes.byteLength, 12);
  sha256(headerBytes).copy(preamble, 16);
  return { bytes: Buffer.concat([preamble, headerBytes, payload.bytes]), payloadSha256 };
}

/**
 * Writes atomically: readers (and the reload watcher) see the old file or the new one, never a
 * partial write.
 */
export async function writeSnapshot(file: string, data: SnapshotData): Promise<{ bytes: number; encoded: EncodedSnapshot }> {
  const encoded = encodeSnapshotWithDigest(data);
  try {
    await writeFileAtomic(file, encoded.bytes);
  } catch (err) {
    throw new IpriskError('SNAPSHOT_UNWRITABLE', `cannot write index snapshot ${file}: ${errorMessage(err)}`, {
      cause: err,
      canRetry: true,
    });
  }
  return { bytes: encoded.bytes.byteLength, encoded };
}

export async function readSnapshot(file: string): Promise<CompiledRangeIndex> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (err) {
    throw new IpriskError('SNAPSHOT_UNREADABLE', `cannot read index snapshot ${file}: ${errorMessage(err)}`, {
      cause: err,
      canRetry: true,
    });
  }
  return decodeSnapshot(buf, file);
}

/** `origin` names the snapshot (its file) in error messages. */
export function decodeSnapshot(buf: Uint8Array, origin: string): CompiledRangeIndex {
  return new CompiledRangeIndex(decodeSnapshotData(buf, origin));
}

export function decodeSnapshotData(input: Uint8Array, origin: string): SnapshotData {
  const fail = (what: string): IpriskError => new IpriskError('SNAPSHOT_INVALID', `index snapshot ${origin} is invalid: ${what}`);
  // Typed views need their element size's alignment; a pooled Buffer may not have it.
  const buf = input.byteOffset % 8 === 0 ? input : new Uint8Array(input);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

  if (buf.byteLength < MAGIC.length || !MAGIC.equals(buf.subarray(0, MAGIC.length))) {
    throw fail('not an iprisk snapshot (magic bytes do not match)');
  }
  if (buf.byteLength < PREAMBLE_BYTES) throw fail(`truncated: ${buf.byteLength} bytes, shorter than the preamble`);
  const format = dv.getUint32(8, true);
  if (format !== FORMAT_VERSION) throw fail(`format version ${format}, this iprisk reads version ${FORMAT_VERSION}`);
  const headerLength = dv.getUint32(12, true);
  if (headerLength % 8 !== 0) throw fail(`header length ${headerLength} is not a multiple of 8`);
  if (PREAMBLE_BYTES + headerLength > buf.byteLength) throw fail('truncated inside the header');
  const headerBytes = buf.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength);
  if (!sha256(headerBytes).equals(buf.subarray(16, 48))) throw fail('header checksum mismatch (corrupted)');

  let header: Header;
  try {
    header = headerSchema.parse(JSON.parse(Buffer.from(headerBytes).toString('utf8')));
  } catch (err) {
    throw fail(`unreadable header: ${errorMessage(err)}`);
  }
  const { counts } = header;
  const sizes = [
    counts.entries_json_bytes,
    counts.segments_v4 * 4,
    counts.segments_v4 * 4,
    counts.segments_v4,
    counts.segments_v6 * 16,
    counts.segments_v6 * 4,
    counts.segments_v6,
  ];
  const expected = sizes.reduce((sum, n) => sum + pad8(n), 0);
  if (expected !== header.payload_bytes) throw fail(`header says ${header.payload_bytes} payload bytes, its counts give ${expected}`);
  const payloadStart = PREAMBLE_BYTES + headerLength;
  const actual = buf.byteLength - payloadStart;
  if (actual < expected) throw fail(`truncated: payload has ${actual} of ${expected} bytes`);
  if (actual > expected) throw fail(`${actual - expected} unexpected bytes after the payload`);
  const payload = buf.subarray(payloadStart);
  if (sha256(payload).toString('hex') !== header.payload_sha256) throw fail('payload checksum mismatch (corrupted)');

  const offsets: number[] = [];
  let at = payloadStart;
  for (const n of sizes) {
    offsets.push(at);
    at += pad8(n);
  }
  const section = (k: number): number => buf.byteOffset + offsets[k]!;
  let entries: SnapshotEntry[];
  try {
    const json = Buffer.from(buf.buffer, section(0), counts.entries_json_bytes).toString('utf8');
    entries = entriesSchema.parse(JSON.parse(json)) as unknown as SnapshotEntry[];
  } catch (err) {
    throw fail(`unreadable entries table: ${errorMessage(err)}`);
  }
  if (entries.length !== counts.entries) throw fail(`header counts ${counts.entries} entries, the table holds ${entries.length}`);

  const n4 = counts.segments_v4;
  const n6 = counts.segments_v6;
  const v4: SegmentArrays = {
    starts: u32(buf, section(1), n4),
    entryIds: i32(buf, section(2), n4),
    prefixes: new Uint8Array(buf.buffer, section(3), n4),
  };
  const v6: SegmentArrays = {
    starts: u32(buf, section(4), n6 * 4),
    entryIds: i32(buf, section(5), n6),
    prefixes: new Uint8Array(buf.buffer, section(6), n6),
  };
  const problem = checkSegments(v4, 1, 32, entries.length) ?? checkSegments(v6, 4, 128, entries.length);
  if (problem) throw fail(problem);

  return {
    version: header.version,
    builtAt: new Date(header.built_at),
    ...(header.valid_from === undefined ? {} : { validFrom: new Date(header.valid_from) }),
    stats: header.stats as IndexStats,
    entries,
    v4,
    v6,
  };
}

function u32(buf: Uint8Array, byteOffset: number, length: number): Uint32Array {
  if (LITTLE_ENDIAN) return new Uint32Array(buf.buffer, byteOffset, length);
  const view = new DataView(buf.buffer, byteOffset, length * 4);
  return Uint32Array.from({ length }, (_, i) => view.getUint32(i * 4, true));
}

function i32(buf: Uint8Array, byteOffset: number, length: number): Int32Array {
  if (LITTLE_ENDIAN) return new Int32Array(buf.buffer, byteOffset, length);
  const view = new DataView(buf.buffer, byteOffset, length * 4);
  return Int32Array.from({ length }, (_, i) => view.getInt32(i * 4, true));
}

/** The lookup relies on these invariants; a digest only proves the writer's bytes arrived. */
function checkSegments(seg: SegmentArrays, stride: number, bits: number, entries: number): string | undefined {
  const family = stride === 1 ? 'IPv4' : 'IPv6';
  const n = seg.entryIds.length;
  if (n === 0) return `no ${family} segments`;
  for (let k = 0; k < stride; k++) if (seg.starts[k] !== 0) return `the first ${family} segment does not start at 0`;
  const s = seg.starts;
  for (let i = 0; i < n; i++) {
    const id = seg.entryIds[i]!;
    if (id < -1 || id >= entries) return `${family} segment ${i} names entry ${id} of ${entries}`;
    if (seg.prefixes[i]! > bits) return `${family} segment ${i} has prefix length ${seg.prefixes[i]!}`;
    if (i === 0) continue;
    let a = (i - 1) * stride;
    let b = i * stride;
    const end = b;
    while (a < end && s[a] === s[b]) {
      a++;
      b++;
    }
    if (a === end || s[a]! > s[b]!) return `${family} segment starts are not ascending at segment ${i}`;
  }
  return undefined;
}
