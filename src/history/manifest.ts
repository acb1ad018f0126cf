import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { IpriskError, errorMessage } from '../errors.js';
import { writeFileAtomic } from '../range-index/atomic-file.js';
import { FLAG_NAMES } from '../range-index/types.js';
import type { FlagName, IndexStats } from '../range-index/types.js';

/*
 * A history folder:
 *
 *   manifest.json          { "format": 1, "snapshots": [entry, ...] }, oldest valid_from first
 *   <payload sha256>.snap  one snapshot file per distinct content (what the answers depend on)
 *
 * An entry says from when a snapshot is in force; it holds until the next entry's valid_from.
 * Several entries may name one file (content A, then B, then A again).
 */
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 1;

const count = z.number().int().nonnegative();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

const entrySchema = z.object({
  valid_from: z.iso.datetime(),
  version: z.string().min(1),
  sha256,
  file: z.string().regex(/^[0-9a-f]{64}\.snap$/),
  built_at: z.iso.datetime(),
  bytes: count,
  ranges: z.object({ v4: count, v6: count }),
  entries: count,
  /** Ranges (IPv4 + IPv6) carrying each flag. */
  flagged_ranges: z.object(Object.fromEntries(FLAG_NAMES.map((f) => [f, count])) as Record<FlagName, typeof count>),
});

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  snapshots: z.array(entrySchema),
});

export type HistoryEntry = z.infer<typeof entrySchema>;
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  snapshots: HistoryEntry[];
}

export function snapshotFileName(sha256Hex: string): string {
  return `${sha256Hex}.snap`;
}

/** The manifest entry of a snapshot with this content, in force from `validFrom`. */
export function entryFor(
  data: { version: string; builtAt: Date; stats: IndexStats },
  sha256Hex: string,
  validFrom: Date,
  bytes: number,
): HistoryEntry {
  const { stats } = data;
  return {
    valid_from: validFrom.toISOString(),
    version: data.version,
    sha256: sha256Hex,
    file: snapshotFileName(sha256Hex),
    built_at: data.builtAt.toISOString(),
    bytes,
    ranges: { v4: stats.rangesV4, v6: stats.rangesV6 },
    entries: stats.entries,
    flagged_ranges: Object.fromEntries(FLAG_NAMES.map((f) => [f, stats.flags[f].rangesV4 + stats.flags[f].rangesV6])) as Record<FlagName, number>,
  };
}

/** When an entry takes effect, epoch milliseconds. */
export const validFromMs = (e: HistoryEntry): number => Date.parse(e.valid_from);

/**
 * The manifest of a history folder; an empty one when the folder or the manifest does not exist
 * yet. Entries are checked (each field by path) and must be in strictly ascending valid_from.
 */
export async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { format: MANIFEST_FORMAT, snapshots: [] };
    throw new IpriskError('HISTORY_INVALID', `cannot read snapshot history manifest ${file}: ${errorMessage(err)}`, { cause: err, canRetry: true });
  }
  let parsed: Manifest;
  try {
    const result = manifestSchema.safeParse(JSON.parse(text));
    if (!result.success) {
      const problems = result.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
      throw new Error(problems.join('; '));
    }
    parsed = result.data;
  } catch (err) {
    throw new IpriskError('HISTORY_INVALID', `snapshot history manifest ${file} is invalid: ${errorMessage(err)}`, { cause: err });
  }
  for (let i = 1; i < parsed.snapshots.length; i++) {
    if (validFromMs(parsed.snapshots[i]!) <= validFromMs(parsed.snapshots[i - 1]!)) {
      throw new IpriskError(
        'HISTORY_INVALID',
        `snapshot history manifest ${file} is invalid: snapshots.${i}.valid_from '${parsed.snapshots[i]!.valid_from}' is not later than the entry before it`,
      );
    }
  }
  return parsed;
}

/**
 * The manifest of a history to read from: as readManifest, but a folder without a manifest or
 * with no snapshot in it is refused (HISTORY_INVALID), since nothing can be judged or shown by it.
 */
export async function readFiledManifest(dir: string): Promise<Manifest> {
  const manifest = await readManifest(dir);
  if (manifest.snapshots.length === 0) {
    throw new IpriskError('HISTORY_INVALID', `snapshot history ${dir} holds no snapshot: file some with \`iprisk index build --history ${dir}\``);
  }
  return manifest;
}

/** Atomic: a reader sees the previous manifest or this one, never a partial write. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const file = path.join(dir, MANIFEST_FILE);
  try {
    await writeFileAtomic(file, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'));
  } catch (err) {
    throw new IpriskError('HISTORY_UNWRITABLE', `cannot write snapshot history manifest ${file}: ${errorMessage(err)}`, { cause: err, canRetry: true });
  }
}
