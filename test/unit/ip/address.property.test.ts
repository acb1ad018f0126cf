import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { IPV6_CANONICAL, IPV6_INVALID, IPV6_VALID, formatIPv6, parseIPv4, parseIPv6, readIPv6 } from '../../../src/ip/address.js';
import { parseClientIp } from '../../../src/ip/client-ip.js';
import type { ClientIp } from '../../../src/ip/client-ip.js';
import {
  addressJunk,
  anyCase,
  anyText,
  ipv4LeadingZeros,
  ipv4OutOfRange,
  ipv4Text,
  ipv4WrongParts,
  ipv6Broken,
  ipv6Compressed,
  ipv6Embedding,
  ipv6Full,
  ipv6MixedV4,
  mutated,
  padded,
  placeholder,
  wrapped,
} from '../../helpers/arbitraries.js';
import { params, timeoutMs } from '../../helpers/property.js';

/**
 * The hand-written parsers against ipaddr.js. ipaddr.js decides what the address *is* (its
 * groups, its RFC 5952 text, its IPv4 form); the rules below state where iprisk deliberately
 * reads text differently (README "Address forms"):
 *
 * 1. IPv4 is a four-part decimal dotted quad with no leading zeros
 *    (ipaddr.IPv4.isValidFourPartDecimal). ipaddr.js also reads "010.1.1.1" (octal), "0x1.2.3.4",
 *    "1.2.3" and "16909060"; iprisk rejects them: inet_aton and most log readers disagree on them.
 * 2. The dotted suffix of an IPv6 address obeys rule 1. ipaddr.js reads "::ffff:01.2.3.4" as
 *    ::ffff:1.2.3.4 and "::ffff:0x1.2.3.4" through parseInt's hex prefix.
 * 3. "::a.b.c.d" is RFC 4291's IPv4-compatible address ::a.b.c.d. ipaddr.js reads it as the
 *    IPv4-mapped ::ffff:a.b.c.d.
 * 4. A zone id is any non-empty text after the first "%" (ipaddr.js allows only [0-9a-z]; real
 *    zone names carry dots, dashes, spaces, and "%25" when URL-encoded). It does not change the
 *    address.
 * 5. Around the address: surrounding whitespace (String.prototype.trim) is dropped; "[v6]",
 *    "[v6]:port" and "a.b.c.d:port" are read, a port being 1-5 digits up to 65535; placeholders
 *    ("-", "unknown", "null", ... in any case) mean a missing address.
 * 6. IPv4-mapped (::ffff:0:0/96, as ipaddr.process does), NAT64 (64:ff9b::/96) and 6to4
 *    (2002::/16) addresses are their IPv4 address.
 */

type Expected =
  | { kind: 'invalid'; reason: 'missing' | 'malformed'; ip: string }
  | { kind: 'public' | 'bogon'; family: 4 | 6; ip: string };

const PLACEHOLDERS = new Set(['', '-', 'unknown', 'none', 'null', 'nil', 'n/a', 'undefined']);

const isIPv4 = (text: string): boolean => ipaddr.IPv4.isValidFourPartDecimal(text);

/** Rules 2 and 3 on top of ipaddr.js: the eight groups of a bare IPv6 text, or null. */
function referenceGroups(text: string): number[] | null {
  // Hex digits, colons and dots only: no zone, no brackets, no spaces.
  if (!/^[0-9a-f:.]*$/i.test(text) || !text.includes(':')) return null;
  if (text.includes('.') && !isIPv4(text.slice(text.lastIndexOf(':') + 1))) return null;
  let parts: number[];
  try {
    parts = ipaddr.IPv6.parse(text).parts.slice();
  } catch {
    return null;
  }
  if (/^::[\d.]+$/.test(text)) parts[5] = 0;
  return parts;
}

const MAPPED = ipaddr.parseCIDR('::ffff:0:0/96') as [ipaddr.IPv6, number];
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96') as [ipaddr.IPv6, number];
const SIX_TO_FOUR = ipaddr.parseCIDR('2002::/16') as [ipaddr.IPv6, number];

/** Which kind ipaddr.js's own range names imply, where they settle it (undefined: they do not). */
function kindV4(addr: ipaddr.IPv4): 'public' | 'bogon' {
  const range = addr.range();
  if (range === 'unicast' || range === 'as112' || range === 'amt') return 'public';
  // IANA marks these two single addresses of 192.0.0.0/24 globally reachable.
  if (range === 'reserved' && (addr.toString() === '192.0.0.9' || addr.toString() === '192.0.0.10')) return 'public';
  return 'bogon';
}

const GLOBAL_IN_RESERVED_V6 = new Set(['2001:1::1', '2001:1::2', '2001:1::3']);
const IN_2000_SLASH_3 = ipaddr.parseCIDR('2000::/3') as [ipaddr.IPv6, number];

function kindV6(addr: ipaddr.IPv6): 'public' | 'bogon' {
  const range = addr.range();
  if (['teredo', 'amt', 'as112v6', 'orchid2', 'droneRemoteIdProtocolEntityTags'].includes(range)) return 'public';
  if (range === 'reserved') return GLOBAL_IN_RESERVED_V6.has(addr.toRFC5952String()) ? 'public' : 'bogon';
  // Only 2000::/3 is global unicast in IANA's IPv6 address space registry.
  if (range === 'unicast') return addr.match(IN_2000_SLASH_3) ? 'public' : 'bogon';
  return 'bogon';
}

function fromGroups(groups: number[]): Expected {
  const addr = new ipaddr.IPv6(groups);
  const bytes = addr.toByteArray();
  let v4: ipaddr.IPv4 | undefined;
  if (addr.match(MAPPED)) v4 = ipaddr.process(addr.toString()) as ipaddr.IPv4;
  else if (addr.match(NAT64)) v4 = ipaddr.fromByteArray(bytes.slice(12, 16)) as ipaddr.IPv4;
  else if (addr.match(SIX_TO_FOUR)) v4 = ipaddr.fromByteArray(bytes.slice(2, 6)) as ipaddr.IPv4;
  if (v4) return { kind: kindV4(v4), family: 4, ip: v4.toString() };
  return { kind: kindV6(addr), family: 6, ip: addr.toRFC5952String() };
}

function v4Answer(text: string): Expected {
  const addr = ipaddr.IPv4.parse(text);
  return { kind: kindV4(addr), family: 4, ip: addr.toString() };
}

const isPort = (text: string): boolean => /^\d{1,5}$/.test(text) && Number(text) <= 65535;

/** What iprisk must make of a log line's address text, by rules 1-6 and ipaddr.js. */
function reference(raw: string): Expected {
  if (isIPv4(raw)) return v4Answer(raw);
  const text = raw.trim();
  const malformed: Expected = { kind: 'invalid', reason: 'malformed', ip: text };
  if (PLACEHOLDERS.has(text.toLowerCase())) return { kind: 'invalid', reason: 'missing', ip: text };
  if (isIPv4(text)) return v4Answer(text);
  let inner: string;
  if (text.startsWith('[')) {
    const m = /^\[([^\]]*)\](?::(.*))?$/s.exec(text);
    if (!m || (m[2] !== undefined && !isPort(m[2]))) return malformed;
    inner = m[1]!;
  } else {
    if (!text.includes(':')) return malformed;
    const hostPort = /^([^:]*):([^:]*)$/s.exec(text);
    if (hostPort && text.includes('.')) {
      return isPort(hostPort[2]!) && isIPv4(hostPort[1]!) ? v4Answer(hostPort[1]!) : malformed;
    }
    inner = text;
  }
  const zone = inner.indexOf('%');
  if (zone >= 0) {
    if (zone === inner.length - 1) return malformed;
    inner = inner.slice(0, zone);
  }
  const groups = referenceGroups(inner);
  return groups ? fromGroups(groups) : malformed;
}

function actual(raw: string): Expected {
  const got: ClientIp = parseClientIp(raw);
  if (got.kind === 'invalid') return { kind: 'invalid', reason: got.reason, ip: got.ip };
  return { kind: got.kind, family: got.family, ip: got.ip };
}

function key(e: Expected): string {
  return e.kind === 'invalid' ? `invalid ${e.reason} ${e.ip}` : `${e.kind} ${e.family} ${e.ip}`;
}

/** Strings per form at the default scale. */
const STRINGS = 20_000;

const FORMS: readonly (readonly [string, fc.Arbitrary<string>, number])[] = [
  ['dotted IPv4', ipv4Text, 1],
  ['IPv4 with leading-zero octets', ipv4LeadingZeros, 2],
  ['IPv4 with out-of-range or non-decimal octets', ipv4OutOfRange, 3],
  ['IPv4 with too few or too many parts', ipv4WrongParts, 4],
  ['IPv6 full form, any case', anyCase(ipv6Full), 5],
  ['IPv6 with "::" at every position, any case', anyCase(ipv6Compressed), 6],
  ['IPv6 with a dotted IPv4 suffix', anyCase(ipv6MixedV4), 7],
  ['IPv4-mapped, NAT64, 6to4 and IPv4-compatible forms', anyCase(ipv6Embedding), 8],
  ['IPv6 with too many groups, bad "::" or bad suffixes', ipv6Broken, 9],
  ['ports, brackets and zone ids', wrapped, 10],
  ['surrounding whitespace around any form', padded(fc.oneof(ipv4Text, ipv6Compressed, ipv6Embedding, wrapped)), 11],
  ['placeholders and empty text', padded(placeholder), 12],
  ['one-character edits of valid forms', mutated(fc.oneof(ipv4Text, ipv6Full, ipv6Compressed, ipv6MixedV4, ipv6Embedding, wrapped)), 13],
  ['junk over the address alphabet', addressJunk, 14],
  ['arbitrary text', anyText, 15],
];

describe('the address parser against ipaddr.js', () => {
  for (const [form, arbitrary, seed] of FORMS) {
    it(
      `reads ${form} exactly as ipaddr.js and the documented rules say`,
      () => {
        fc.assert(
          fc.property(arbitrary, (raw) => {
            const got = actual(raw);
            const want = reference(raw);
            // expect() only on a difference: it costs more than both parsers together.
            if (key(got) !== key(want)) expect(got, JSON.stringify(raw)).toEqual(want);
          }),
          params(seed, STRINGS),
        );
      },
      timeoutMs(5_000),
    );
  }

  it(
    'parses bare IPv4 text iff it is a four-part decimal with no leading zeros, to ipaddr.js\'s value',
    () => {
      const text = fc.oneof(ipv4Text, ipv4LeadingZeros, ipv4OutOfRange, ipv4WrongParts, mutated(ipv4Text), addressJunk);
      fc.assert(
        fc.property(text, (s) => {
          const value = parseIPv4(s);
          let want = -1;
          if (isIPv4(s)) {
            const octets = ipaddr.IPv4.parse(s).octets;
            want = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
          }
          if (value !== want) expect(value, s).toBe(want);
        }),
        params(21, STRINGS),
      );
    },
    timeoutMs(5_000),
  );

  it(
    'parses bare IPv6 text iff ipaddr.js does under rules 2 and 3, to the same 128 bits',
    () => {
      const text = fc.oneof(anyCase(ipv6Full), anyCase(ipv6Compressed), anyCase(ipv6MixedV4), ipv6Embedding, ipv6Broken, mutated(ipv6Compressed), addressJunk);
      fc.assert(
        fc.property(text, (s) => {
          const groups = referenceGroups(s);
          const words = parseIPv6(s);
          const want = groups ? [0, 2, 4, 6].map((k) => (groups[k]! * 65536 + groups[k + 1]!) >>> 0) : null;
          if (String(words) !== String(want)) expect(words, s).toEqual(want);
        }),
        params(22, STRINGS),
      );
    },
    timeoutMs(5_000),
  );

  it(
    'calls IPv6 text canonical exactly when it is formatIPv6\'s text for its words, so parseClientIp may keep it as the ip',
    () => {
      const words = fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()).map((ws) => ws.map((w) => w >>> 0));
      // Runs of zero groups make the compression rules matter: zero some groups of each address.
      const sparse = fc.tuple(words, fc.nat(255)).map(([ws, mask]) => ws.map((w, k) => ((mask >> (2 * k)) & 1 ? w & 0xffff : (mask >> (2 * k + 1)) & 1 ? w & 0xffff0000 : w) >>> 0));
      const text = fc.oneof(
        sparse.map((ws) => formatIPv6(ws)),
        anyCase(ipv6Full),
        anyCase(ipv6Compressed),
        anyCase(ipv6MixedV4),
        ipv6Embedding,
      );
      fc.assert(
        fc.property(text, (s) => {
          const out = [0, 0, 0, 0];
          const read = readIPv6(s, 0, s.length, out);
          if (read === IPV6_INVALID) return;
          const canonical = formatIPv6(out) === s;
          if ((read === IPV6_CANONICAL) !== canonical) expect({ s, read }).toEqual({ s, read: canonical ? IPV6_CANONICAL : IPV6_VALID });
        }),
        params(23, STRINGS),
      );
    },
    timeoutMs(5_000),
  );

  it('states where ipaddr.js and iprisk part ways, on the inputs that show it', () => {
    // Rule 1: ipaddr.js reads octal and short forms; iprisk does not.
    expect(ipaddr.IPv4.parse('010.1.1.1').toString()).toBe('8.1.1.1');
    expect(reference('010.1.1.1')).toMatchObject({ kind: 'invalid', reason: 'malformed' });
    expect(ipaddr.isValid('1.2.3')).toBe(true);
    expect(actual('1.2.3')).toMatchObject({ kind: 'invalid' });
    // Rule 2: a leading zero inside an IPv6 address's dotted suffix.
    expect(ipaddr.IPv6.isValid('::ffff:01.2.3.4')).toBe(true);
    expect(actual('::ffff:01.2.3.4')).toMatchObject({ kind: 'invalid', reason: 'malformed' });
    // Rule 3: the IPv4-compatible form stays IPv6.
    expect(ipaddr.IPv6.parse('::1.2.3.4').toString()).toBe('::ffff:102:304');
    expect(actual('::1.2.3.4')).toEqual({ kind: 'bogon', family: 6, ip: '::102:304' });
    // Rule 4: a zone name with a dot.
    expect(ipaddr.IPv6.isValid('fe80::1%eth0.100')).toBe(false);
    expect(actual('fe80::1%eth0.100')).toEqual({ kind: 'bogon', family: 6, ip: 'fe80::1' });
    // Rule 6: NAT64 and 6to4, which ipaddr.process leaves as IPv6.
    expect(ipaddr.process('64:ff9b::2.56.188.34').kind()).toBe('ipv6');
    expect(actual('64:ff9b::2.56.188.34')).toEqual({ kind: 'public', family: 4, ip: '2.56.188.34' });
    expect(actual('2002:238:bc22::1')).toEqual({ kind: 'public', family: 4, ip: '2.56.188.34' });
  });
});
