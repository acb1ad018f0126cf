import type { Ipv6Words } from '../ip/address.js';
import { parseIPv4, parseIPv6 } from '../ip/address.js';
import { embeddedIPv4, specialV4, specialV6 } from '../ip/special.js';

/** A public address as the index takes it. */
export type PublicAddress = { family: 4; v4: number } | { family: 6; words: Ipv6Words };

/** What one `ip` of a request is. `given` is the text as sent, trimmed: answers echo it. */
export type ApiIp =
  | { kind: 'public'; given: string; address: PublicAddress }
  | { kind: 'bogon'; given: string }
  | { kind: 'domain'; given: string }
  | { kind: 'malformed'; given: string };

/** Longest input text quoted back in a message; longer text is cut with an ellipsis. */
const QUOTED_MAX = 100;

/** Longest IPv6 text (IPv4-mapped, full form): longer input is not parsed at all. */
const IPV6_MAX = 45;

const HOSTNAME = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * Reads an address as the API takes it: a bare IPv4 or IPv6 address only. Unlike log fields
 * (src/ip/client-ip.ts), ports, brackets, zone ids and placeholders are malformed here, as
 * ipgeolocation answers them. Embedded IPv4 (::ffff:a.b.c.d, NAT64, 6to4) is looked up as
 * IPv4, and bogon space is the same as client-ip.ts classifies. No canonical text is built:
 * a 50,000-address bulk spends its time in lookups, not in string formatting.
 */
export function classifyApiIp(text: string): ApiIp {
  const given = text.trim();
  let v4 = parseIPv4(given);
  if (v4 < 0) {
    const words = given.length <= IPV6_MAX ? parseIPv6(given) : null;
    if (words === null) return { kind: HOSTNAME.test(given) ? 'domain' : 'malformed', given };
    v4 = embeddedIPv4(words);
    if (v4 < 0) return specialV6(words) === undefined ? { kind: 'public', given, address: { family: 6, words } } : { kind: 'bogon', given };
  }
  return specialV4(v4) === undefined ? { kind: 'public', given, address: { family: 4, v4 } } : { kind: 'bogon', given };
}

/** Input text as a message quotes it: bounded in length. */
export function quoted(given: string): string {
  return given.length <= QUOTED_MAX ? given : `${given.slice(0, QUOTED_MAX)}…`;
}

/** The per-entry message of the bulk answer, in the seed's wording for bogons. */
export function entryMessage(ip: Exclude<ApiIp, { kind: 'public' }>): string {
  return ip.kind === 'bogon' ? `'${quoted(ip.given)}' is a bogon IP address.` : `'${quoted(ip.given)}' is not a valid IP address.`;
}

/** A bulk entry that is not a string: malformed. Objects and arrays are named, not quoted
 * (their text may be huge or nested beyond what JSON.stringify can recurse through). */
export function nonStringMessage(value: unknown): string {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    return `'${quoted(String(value))}' is not a valid IP address: expected a string.`;
  }
  const what = Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  return `An entry of "ips" is ${what}, not an IP address string.`;
}
