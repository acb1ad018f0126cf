import { group, table } from '../range-index/inspect.js';
import { FLAG_NAMES } from '../range-index/types.js';
import type { FlagName } from '../range-index/types.js';
import type { HistoryEntry, Manifest } from './manifest.js';

/** `iprisk index inspect --json DIR`: the manifest's entries, each with the end of its validity. */
export interface HistoryDescription {
  history: string;
  snapshots: (HistoryEntry & { valid_until: string | null })[];
  files: number;
  bytes: number;
}

export function describeHistoryJson(dir: string, manifest: Manifest): HistoryDescription {
  const distinct = new Map(manifest.snapshots.map((e) => [e.file, e.bytes]));
  return {
    history: dir,
    snapshots: manifest.snapshots.map((e, i) => ({ ...e, valid_until: manifest.snapshots[i + 1]?.valid_from ?? null })),
    files: distinct.size,
    bytes: [...distinct.values()].reduce((a, b) => a + b, 0),
  };
}

/** is_anonymous only repeats the four flags it is made of. */
const SHOWN_FLAGS = FLAG_NAMES.filter((f) => f !== 'is_anonymous');
const flagColumn = (f: FlagName): string => f.replace(/^is_/, '').replace('_provider', '');

/** `iprisk index inspect DIR`: one row per validity period, oldest first. */
export function describeHistory(dir: string, manifest: Manifest): string {
  const d = describeHistoryJson(dir, manifest);
  return [
    `history     ${dir}`,
    `snapshots   ${d.snapshots.length} periods, ${d.files} distinct ${d.files === 1 ? 'content' : 'contents'} (${group(d.bytes)} bytes)`,
    '',
    ...table(
      ['valid from', 'version', 'ranges v4', 'ranges v6', ...SHOWN_FLAGS.map(flagColumn)],
      d.snapshots.map((e) => [e.valid_from, e.version, group(e.ranges.v4), group(e.ranges.v6), ...SHOWN_FLAGS.map((f) => group(e.flagged_ranges[f]))]),
      2,
    ).map((l) => `  ${l}`),
    '',
    'flag columns count the ranges (IPv4 + IPv6) carrying the flag; each period lasts until the next one starts',
  ].join('\n');
}

/** What `index build --history` and `index update` say when filing found the content already in force. */
export function describeUnchanged(dir: string, validFrom: string, version: string): string {
  return `history ${dir}: unchanged, the same content is in force since ${validFrom} (version ${version})`;
}
