import type { Ipv6Words } from './address.js';
import { IPV6_CANONICAL, IPV6_INVALID, formatIPv4, formatIPv6, parseIPv4, readIPv6 } from './address.js';
import { embeddedIPv4, specialV4, specialV6 } from './special.js';

/**
 * What an IP field of a log line turns out to hold, once read as real logs write it:
 * IPv4, IPv6 in any textual form, IPv4-mapped/NAT64/6to4 (looked up as their IPv4 address),
 * zone ids, ports, brackets, surrounding spaces, and placeholders such as "-" or "unknown".
 * `ip` is the canonical text of the address that is (or would be) looked up.
 */
export type ClientIp =
  | { kind: 'public'; family: 4; ip: string; v4: number }
  | { kind: 'public'; family: 6; ip: string; words: Ipv6Words }
  | { kind: 'bogon'; family: 4; ip: string; v4: number; range: string }
  | { kind: 'bogon'; family: 6; ip: string; words: Ipv6Words; range: string }
  | { kind: 'invalid'; ip: string; reason: 'missing' | 'malformed' };

const PLACEHOLDERS = new Set(['', '-', 'unknown', 'none', 'null', 'nil', 'n/a', 'undefined']);
/** No placeholder is longer: longer text skips the lower-casing copy the check needs. */
const PLACEHOLDER_MAX_LENGTH = Math.max(...[...PLACEHOLDERS].map((p) => p.length));

function isPort(text: string, start: number): boolean {
  const len = text.length - start;
  if (len < 1 || len > 5) return false;
  let port = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    port = port * 10 + (c - 48);
  }
  return port <= 65535;
}

/** `text`: the address's canonical text when the caller already has it (parseIPv4 accepts
 * only canonical dotted quads, so a string it parsed whole is its own canonical form). */
function classifyV4(value: number, text?: string): ClientIp {
  const ip = text ?? formatIPv4(value);
  const range = specialV4(value);
  return range === undefined
    ? { kind: 'public', family: 4, ip, v4: value }
    : { kind: 'bogon', family: 4, ip, v4: value, range };
}

/** `text`: the address's canonical text when the caller already has it (readIPv6 said so). */
function classifyV6(words: Ipv6Words, text: string | undefined): ClientIp {
  const v4 = embeddedIPv4(words);
  if (v4 >= 0) return classifyV4(v4);
  const ip = text ?? formatIPv6(words);
  const range = specialV6(words);
  return range === undefined ? { kind: 'public', family: 6, ip, words } : { kind: 'bogon', family: 6, ip, words, range };
}

function malformed(text: string): ClientIp {
  return { kind: 'invalid', ip: text, reason: 'malformed' };
}

/** Reads one IP as a log line carries it. Never throws. */
export function parseClientIp(raw: string): ClientIp {
  // Fast path: a bare IPv4 address, by far the most common form, needs no trimming, no
  // placeholder check and no formatting.
  const bare = parseIPv4(raw);
  if (bare >= 0) return classifyV4(bare, raw);
  // Fast path: bare IPv6 text, as most logs write it. Text that reads as IPv6 whole holds no
  // space, bracket, zone or port, so the forms below would read it the same way.
  const words: Ipv6Words = [0, 0, 0, 0];
  const read = readIPv6(raw, 0, raw.length, words);
  if (read !== IPV6_INVALID) return classifyV6(words, read === IPV6_CANONICAL ? raw : undefined);

  const text = raw.trim();
  if (text.length <= PLACEHOLDER_MAX_LENGTH && PLACEHOLDERS.has(text.toLowerCase())) return { kind: 'invalid', ip: text, reason: 'missing' };
  const direct = text.length === raw.length ? -1 : parseIPv4(text);
  if (direct >= 0) return classifyV4(direct, text);

  let start = 0;
  let end = text.length;
  if (text.charCodeAt(0) === 91 /* [ */) {
    const close = text.indexOf(']');
    if (close < 0) return malformed(text);
    if (close !== text.length - 1 && !(text.charCodeAt(close + 1) === 58 && isPort(text, close + 2))) {
      return malformed(text);
    }
    start = 1;
    end = close;
  } else {
    const firstColon = text.indexOf(':');
    if (firstColon < 0) return malformed(text);
    if (firstColon === text.lastIndexOf(':') && text.indexOf('.') >= 0) {
      // a.b.c.d:port
      if (!isPort(text, firstColon + 1)) return malformed(text);
      const value = parseIPv4(text, 0, firstColon);
      return value >= 0 ? classifyV4(value) : malformed(text);
    }
  }
  // IPv6, possibly with a zone id ("fe80::1%eth0"): the zone does not change the address.
  const zone = text.indexOf('%', start);
  if (zone >= 0 && zone < end) {
    if (zone === end - 1) return malformed(text);
    end = zone;
  }
  const inner = readIPv6(text, start, end, words);
  if (inner === IPV6_INVALID) return malformed(text);
  return classifyV6(words, inner === IPV6_CANONICAL ? text.slice(start, end) : undefined);
}

/** The message ipgeolocation's bulk endpoint puts in place of an answer it cannot give. */
export function unanswerableMessage(parsed: Exclude<ClientIp, { kind: 'public' }>, original: string): string {
  return parsed.kind === 'bogon'
    ? `'${original}' is a bogon IP address.`
    : `'${original}' is not a valid IP address.`;
}
