import { readFileSync } from 'node:fs';
import maxmind, { Reader } from 'maxmind';
import type { AnonymousIPResponse } from 'maxmind';
import type { Ipv6Words } from '../src/ip/address.js';
import { parseClientIp } from '../src/ip/client-ip.js';
import type { CompiledRangeIndex } from '../src/range-index/range-index.js';
import type { IndexEntry } from '../src/range-index/types.js';
import type { SecurityRecord } from '../src/security/record.js';
import type { BuiltMmdb } from './lib/mmdb.js';
import type { MeasureSettings, Measurement } from './lib/measure.js';
import { measure } from './lib/measure.js';
import type { QueriesV4, QueriesV6 } from './lib/queries.js';

/** What the MMDB holds per network: the security object (typed for mmdb-lib's Response bound). */
type MmdbSecurity = AnonymousIPResponse & SecurityRecord;

/*
 * One pass function per path, each its own function so the JIT specialises each loop alone.
 * Every answer feeds the checksum: a miss counts 1, a hit 2 + its threat score, the same on
 * both sides, so equal checksums also say both sides found the same answers.
 */

/** The realistic path: log text in, answer out (parse, classify, look up). */
function ipriskTextPass(index: CompiledRangeIndex, text: readonly string[]): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    const c = parseClientIp(text[i]!);
    let e: IndexEntry | undefined;
    if (c.kind === 'public') e = c.family === 4 ? index.findV4(c.v4) : index.findV6(c.words);
    sum += e === undefined ? 1 : e.security.threat_score + 2;
  }
  return sum;
}

function ipriskV4Pass(index: CompiledRangeIndex, values: Uint32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const e = index.findV4(values[i]!);
    sum += e === undefined ? 1 : e.security.threat_score + 2;
  }
  return sum;
}

function ipriskV6Pass(index: CompiledRangeIndex, words: readonly Ipv6Words[]): number {
  let sum = 0;
  for (let i = 0; i < words.length; i++) {
    const e = index.findV6(words[i]!);
    sum += e === undefined ? 1 : e.security.threat_score + 2;
  }
  return sum;
}

function maxmindPass(reader: Reader<MmdbSecurity>, text: readonly string[]): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    const r = reader.get(text[i]!);
    sum += r === null ? 1 : r.threat_score + 2;
  }
  return sum;
}

export interface MmdbReaders {
  /** `maxmind.open()`: what an application uses; caches decoded records by offset (10,000). */
  opened: Reader<MmdbSecurity>;
  /** `new Reader(buffer)` with no options: every hit decodes its record afresh. */
  bare: Reader<MmdbSecurity>;
}

export async function openMmdb(mmdb: BuiltMmdb): Promise<MmdbReaders> {
  return {
    opened: await maxmind.open<MmdbSecurity>(mmdb.file),
    bare: new Reader<MmdbSecurity>(readFileSync(mmdb.file)),
  };
}

/** Sorted-key JSON: the MMDB gives its maps back in its own key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface Agreement {
  checked: number;
  hits: number;
}

/**
 * Every query answered by both: same hit or miss, same record field for field. The queries
 * hold no bogons, so any difference means the MMDB does not hold what the index holds and the
 * comparison would be meaningless: abort.
 */
export function checkAgreement(index: CompiledRangeIndex, reader: Reader<MmdbSecurity>, queries: QueriesV4 | QueriesV6, label: string): Agreement {
  const entryText = index.entries.map((e) => canonical(e.security));
  const examples: string[] = [];
  let mismatches = 0;
  let hits = 0;
  queries.text.forEach((text, i) => {
    const ours = queries.family === 4 ? index.findV4(queries.values[i]!) : index.findV6(queries.words[i]!);
    const theirs = reader.get(text);
    if (ours) hits++;
    const a = ours ? entryText[ours.id]! : 'null';
    const b = theirs === null ? 'null' : canonical(theirs);
    if (a === b) return;
    mismatches++;
    if (examples.length < 5) examples.push(`${text}: iprisk ${a.slice(0, 200)}; maxmind ${b.slice(0, 200)}`);
  });
  if (mismatches > 0) {
    throw new Error(
      `${label}: the MMDB disagrees with the index on ${mismatches} of ${queries.text.length} query addresses, none of them bogons:\n  ${examples.join('\n  ')}`,
    );
  }
  return { checked: queries.text.length, hits };
}

export interface LookupFigures {
  /** parseClientIp + find, string in. */
  text: Measurement;
  /** findV4/findV6 on pre-parsed addresses. */
  numeric: Measurement;
  /** maxmind.open() reader, string in: the baseline. */
  maxmind: Measurement;
  /** new Reader(buffer) without a record cache. */
  maxmindBare: Measurement;
}

export function measureLookups(index: CompiledRangeIndex, readers: MmdbReaders, queries: QueriesV4 | QueriesV6, settings: MeasureSettings): LookupFigures {
  const n = queries.text.length;
  const text = measure(n, () => ipriskTextPass(index, queries.text), settings);
  const numeric =
    queries.family === 4
      ? measure(n, () => ipriskV4Pass(index, queries.values), settings)
      : measure(n, () => ipriskV6Pass(index, queries.words), settings);
  const opened = measure(n, () => maxmindPass(readers.opened, queries.text), settings);
  const bare = measure(n, () => maxmindPass(readers.bare, queries.text), settings);
  for (const [name, m] of [
    ['numeric', numeric],
    ['maxmind', opened],
    ['maxmind (no cache)', bare],
  ] as const) {
    if (m.passChecksum !== text.passChecksum) {
      throw new Error(`checksum of the ${name} path (${m.passChecksum}) differs from the text path's (${text.passChecksum}): they did not do the same work`);
    }
  }
  return { text, numeric, maxmind: opened, maxmindBare: bare };
}
