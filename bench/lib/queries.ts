import type { Ipv6Words } from '../../src/ip/address.js';
import { bigIntToWords, formatIPv4, formatIPv6, wordsToBigInt } from '../../src/ip/address.js';
import { parseClientIp } from '../../src/ip/client-ip.js';
import type { SegmentArrays } from '../../src/range-index/types.js';
import type { Prng } from './prng.js';

/** One family's query set: the same addresses as text (for the string paths) and pre-parsed. */
export interface QueriesV4 {
  family: 4;
  text: string[];
  values: Uint32Array;
}

export interface QueriesV6 {
  family: 6;
  text: string[];
  words: Ipv6Words[];
}

/** Indices of the segments that hold an answer: "inside indexed ranges" draws among these. */
function indexedSegments(seg: SegmentArrays): Uint32Array {
  let n = 0;
  for (const id of seg.entryIds) if (id >= 0) n++;
  const out = new Uint32Array(n);
  let k = 0;
  seg.entryIds.forEach((id, i) => {
    if (id >= 0) out[k++] = i;
  });
  if (n === 0) throw new Error('the index holds no ranges of this family to draw queries from');
  return out;
}

/**
 * Accepts an address only if iprisk reads it as a public address of the wanted family. Bogons
 * are never looked up by either side, and IPv6 forms carrying IPv4 (6to4, NAT64) are looked up
 * by iprisk as their IPv4 address but by an MMDB reader in the IPv6 tree: either would measure
 * something other than a lookup, so the mix holds neither.
 */
function isPublic(text: string, family: 4 | 6): boolean {
  const c = parseClientIp(text);
  return c.kind === 'public' && c.family === family;
}

/** Half drawn from inside indexed ranges (a random range, a random address in it), half
 * uniformly random public addresses; shuffled together. */
export function queriesV4(seg: SegmentArrays, count: number, rng: Prng): QueriesV4 {
  const indexed = indexedSegments(seg);
  const n = seg.entryIds.length;
  const values: number[] = [];
  while (values.length < count) {
    let v: number;
    if (values.length < count / 2) {
      const i = indexed[rng.int(indexed.length)]!;
      const first = seg.starts[i]!;
      const end = i + 1 < n ? seg.starts[i + 1]! : 2 ** 32;
      v = first + rng.int(end - first);
    } else {
      v = rng.next();
    }
    if (isPublic(formatIPv4(v), 4)) values.push(v);
  }
  rng.shuffle(values);
  return { family: 4, text: values.map(formatIPv4), values: Uint32Array.from(values) };
}

const GLOBAL_UNICAST = 1n << 125n;

export function queriesV6(seg: SegmentArrays, count: number, rng: Prng): QueriesV6 {
  const indexed = indexedSegments(seg);
  const n = seg.entryIds.length;
  const startOf = (i: number): bigint => wordsToBigInt(Array.from(seg.starts.subarray(i * 4, i * 4 + 4)));
  const words: Ipv6Words[] = [];
  while (words.length < count) {
    let v: bigint;
    if (words.length < count / 2) {
      const i = indexed[rng.int(indexed.length)]!;
      const first = startOf(i);
      const end = i + 1 < n ? startOf(i + 1) : 1n << 128n;
      v = first + (rng.bigint128() % (end - first));
    } else {
      // 2000::/3, the only global unicast space: anything outside it is a bogon.
      v = GLOBAL_UNICAST | (rng.bigint128() >> 3n);
    }
    const w = bigIntToWords(v);
    if (isPublic(formatIPv6(w), 6)) words.push(w);
  }
  rng.shuffle(words);
  return { family: 6, text: words.map(formatIPv6), words };
}
