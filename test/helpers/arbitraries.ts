import fc from 'fast-check';

/**
 * Generators of IP address text in every form logs write it, valid and not. Each produces
 * plain strings: the property decides what they should mean from its own reference.
 */

const HEX = '0123456789abcdefABCDEF';

/** The characters of an ASCII alphabet, one string each. */
function chars(alphabet: string): string[] {
  return alphabet.split('');
}
const WHITESPACE = [' ', '\t', '\n', '\r', '\u00a0', '\ufeff', '\u2003'];

export const octet = fc.integer({ min: 0, max: 255 });

/** Some octet values are far likelier to matter than others: 0, 255 and the 3-digit edge. */
const edgyOctet = fc.oneof(
  { weight: 4, arbitrary: octet },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 9, 10, 99, 100, 199, 200, 249, 250, 254, 255) },
);

export const ipv4Value = fc.tuple(edgyOctet, edgyOctet, edgyOctet, edgyOctet);

export function dotted(octets: readonly number[]): string {
  return octets.join('.');
}

/** Canonical dotted quads. */
export const ipv4Text = ipv4Value.map(dotted);

/** Dotted quads with at least one octet written with leading zeros ("010", "00", "001"). */
export const ipv4LeadingZeros = fc
  .tuple(ipv4Value, fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 4 }))
  .map(([octets, pads]) => {
    const parts = octets.map(String);
    for (const [at, zeros] of pads) parts[at] = '0'.repeat(zeros) + parts[at]!;
    return parts.join('.');
  });

/** Dotted quads with one octet out of range (256 and up), or written in octal/hex style. */
export const ipv4OutOfRange = fc
  .tuple(ipv4Value, fc.integer({ min: 0, max: 3 }), fc.oneof(fc.integer({ min: 256, max: 999 }), fc.integer({ min: 1000, max: 2 ** 33 }), fc.constantFrom('0x1f', '0X0', '1e2', '-1', '+1', '1.', '')))
  .map(([octets, at, bad]) => {
    const parts: string[] = octets.map(String);
    parts[at] = String(bad);
    return parts.join('.');
  });

/** One to eight dot-separated numbers: too few or too many parts, or inet_aton's short forms. */
export const ipv4WrongParts = fc
  .array(fc.oneof(edgyOctet, fc.integer({ min: 0, max: 2 ** 32 })), { minLength: 1, maxLength: 8 })
  .filter((parts) => parts.length !== 4)
  .map((parts) => parts.join('.'));

/** An IPv6 value as eight 16-bit groups, biased towards zero runs and the embedded-IPv4 prefixes. */
export const ipv6Groups = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }) },
  {
    weight: 3,
    arbitrary: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(1, 0xffff, 0x2001, 0xdb8)), { minLength: 8, maxLength: 8 }),
  },
  {
    // Well-known prefixes: IPv4-mapped, NAT64, 6to4, Teredo, documentation, link-local, ULA, multicast, loopback.
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          [0, 0, 0, 0, 0, 0xffff],
          [0x64, 0xff9b, 0, 0, 0, 0],
          [0x64, 0xff9b, 1],
          [0x2002],
          [0x2001, 0],
          [0x2001, 1, 0, 0, 0, 0, 0],
          [0x2001, 0xdb8],
          [0x3fff],
          [0xfe80, 0, 0, 0],
          [0xfd00],
          [0xff02],
          [0, 0, 0, 0, 0, 0, 0],
          [0, 0, 0, 0, 0xffff, 0],
        ),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
      )
      .map(([prefix, rest]) => [...prefix, ...rest].slice(0, 8)),
  },
);

/** A group's hex text: no leading zeros, or padded with some (up to 4 digits), in random case. */
function groupText(value: number, pad: number): string {
  const hex = value.toString(16);
  return hex.length >= 4 ? hex : '0'.repeat(Math.min(pad, 4 - hex.length)) + hex;
}

const pads = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 });

/** Full form: all eight groups, no "::". */
export const ipv6Full = fc.tuple(ipv6Groups, pads).map(([g, p]) => g.map((v, k) => groupText(v, p[k]!)).join(':'));

/** Compressed forms: a run of groups (forced to zero) replaced by "::", at every position and length. */
export const ipv6Compressed = fc
  .tuple(ipv6Groups, pads, fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 8 }))
  .map(([g, p, at, len]) => {
    const start = Math.min(at, 7);
    const end = Math.min(8, start + len);
    const text = (k: number): string => groupText(g[k]!, p[k]!);
    const head = Array.from({ length: start }, (_, k) => text(k)).join(':');
    const tail = Array.from({ length: 8 - end }, (_, k) => text(end + k)).join(':');
    return `${head}::${tail}`;
  });

/** Six groups (possibly compressed) followed by a dotted IPv4 address. */
export const ipv6MixedV4 = fc
  .tuple(ipv6Groups, pads, fc.option(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 6 }))), ipv4Value)
  .map(([g, p, compress, v4]) => {
    const text = (k: number): string => groupText(g[k]!, p[k]!);
    if (compress === null) return `${Array.from({ length: 6 }, (_, k) => text(k)).join(':')}:${dotted(v4)}`;
    const start = Math.min(compress[0], 5);
    const end = Math.min(6, start + compress[1]);
    const head = Array.from({ length: start }, (_, k) => text(k)).join(':');
    const tail = Array.from({ length: 6 - end }, (_, k) => text(end + k)).join(':');
    return `${head}::${tail}${tail ? ':' : ''}${dotted(v4)}`;
  });

/** The forms that carry an IPv4 address: mapped, NAT64 and 6to4, as logs write them. */
export const ipv6Embedding = fc
  .tuple(ipv4Value, fc.constantFrom('mapped', 'mapped-hex', 'nat64', 'nat64-hex', '6to4', 'compatible', 'rfc6145'), fc.integer({ min: 0, max: 0xffff }))
  .map(([v4, form, extra]) => {
    const hi = ((v4[0] << 8) | v4[1]).toString(16);
    const lo = ((v4[2] << 8) | v4[3]).toString(16);
    switch (form) {
      case 'mapped':
        return `::ffff:${dotted(v4)}`;
      case 'mapped-hex':
        return `0:0:0:0:0:ffff:${hi}:${lo}`;
      case 'nat64':
        return `64:ff9b::${dotted(v4)}`;
      case 'nat64-hex':
        return `64:ff9b::${hi}:${lo}`;
      case '6to4':
        return `2002:${hi}:${lo}::${extra.toString(16)}`;
      case 'compatible':
        // RFC 4291's deprecated IPv4-compatible form: an IPv6 address, not an IPv4 one.
        return `::${dotted(v4)}`;
      case 'rfc6145':
        return `::ffff:0:${dotted(v4)}`;
    }
  });

/** Upper, lower or mixed case of any generated text. A 31-bit mask flips the case of
 * characters at the positions of its set bits: fc.mixedCase's bigint masks cost 5x more. */
export function anyCase(arb: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(arb, fc.constantFrom('lower', 'upper', 'mixed'), fc.integer({ min: 0, max: 0x7fffffff })).map(([s, mode, mask]) => {
    if (mode === 'lower') return s;
    if (mode === 'upper') return s.toUpperCase();
    let out = '';
    for (let i = 0; i < s.length; i++) out += (mask >>> i % 31) & 1 ? s[i]!.toUpperCase() : s[i]!;
    return out;
  });
}

/** Zone ids as systems print them: names, numbers, URL-encoded "%25", and odd characters. */
export const zoneId = fc.oneof(
  fc.constantFrom('eth0', 'en0', '1', '25en0', 'lo', 'eth0.100', 'wlan-0', 'Ethernet 2', '%', 'a%b'),
  fc.string({ unit: fc.constantFrom(...chars('abcdefxyz0123456789.-_%: ')), minLength: 0, maxLength: 8 }),
);

export const port = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 65535 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('', '65536', '99999', '123456', '00080', '0', '8o', '-1', ' 80', '80 ') },
);

/** Any IPv6 text form, valid or not-quite. */
export const ipv6Any = fc.oneof(ipv6Full, ipv6Compressed, ipv6MixedV4, ipv6Embedding);

/** Too many groups, "::" that compresses nothing, several "::", groups of five digits. */
export const ipv6Broken = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 9, maxLength: 10 }).map((g) => g.map((v) => v.toString(16)).join(':')),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 7 }).map((g) => g.map((v) => v.toString(16)).join(':')),
  fc.tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 8 })).map(([g, at]) => {
    const t = g.map((v) => v.toString(16));
    t.splice(at, 0, '');
    return t.join(':');
  }),
  fc.tuple(ipv6Compressed, ipv6Compressed).map(([a, b]) => `${a}:${b}`),
  fc.tuple(ipv6Full, fc.integer({ min: 0x10000, max: 0xfffff })).map(([a, big]) => a.replace(/^[0-9a-f]+/i, big.toString(16))),
  fc.tuple(ipv6MixedV4, ipv4LeadingZeros).map(([a, v4]) => a.replace(/[\d.]+$/, v4)),
  fc.tuple(ipv6MixedV4, ipv4OutOfRange).map(([a, v4]) => a.replace(/[\d.]+$/, v4)),
  fc.tuple(ipv6Full, ipv4Text).map(([a, v4]) => `${a}:${v4}`),
  fc.constantFrom(':', ':::', '::::', ':1', '1:', ':1::', '1::2:', '::1:', '1:::2', '::ffff:', '::ffff:1.2.3', '::1.2.3.4:5', '1.2.3.4::'),
);

/** Placeholders logs write instead of an address, in any case. */
export const placeholder = anyCase(fc.constantFrom('', '-', 'unknown', 'none', 'null', 'nil', 'n/a', 'undefined'));

/** Surrounding whitespace of the kinds String.prototype.trim removes. */
export function padded(arb: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const ws = fc.string({ unit: fc.constantFrom(...WHITESPACE), minLength: 0, maxLength: 3 });
  return fc.tuple(ws, arb, ws).map(([a, s, b]) => a + s + b);
}

/** An address form as a log line carries it: port, brackets, zone id. */
export const wrapped = fc.oneof(
  fc.tuple(ipv4Text, port).map(([a, p]) => `${a}:${p}`),
  fc.tuple(anyCase(ipv6Any), port).map(([a, p]) => `[${a}]:${p}`),
  anyCase(ipv6Any).map((a) => `[${a}]`),
  fc.tuple(anyCase(ipv6Any), zoneId).map(([a, z]) => `${a}%${z}`),
  fc.tuple(anyCase(ipv6Any), zoneId, fc.option(port)).map(([a, z, p]) => `[${a}%${z}]${p === null ? '' : `:${p}`}`),
  fc.tuple(ipv4Text, zoneId).map(([a, z]) => `${a}%${z}`),
  fc.tuple(ipv4Text, port).map(([a, p]) => `[${a}]:${p}`),
  fc.tuple(anyCase(ipv6Any), port).map(([a, p]) => `${a}:${p}`),
  fc.tuple(anyCase(ipv6Any), fc.constantFrom('[', ']', ']:', '[]', ']x', ']:80]')).map(([a, junk]) => (junk.startsWith('[') ? `${junk}${a}` : `[${a}${junk}`)),
);

/** Short strings over the characters addresses are made of: most are junk, some are not. */
export const addressJunk = fc.string({ unit: fc.constantFrom(...chars(`${HEX}:.%[] x-/,`)), minLength: 0, maxLength: 24 });

/** Arbitrary text, any code points. */
export const anyText = fc.string({ unit: 'binary', maxLength: 40 });

/** One edit (insert, delete, replace) of a valid form, over the characters that matter. */
export function mutated(arb: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.constantFrom(...chars('0123456789afAF:.%[] '));
  return fc.tuple(arb, fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), edit).map(([s, at, op, c]) => {
    const i = s.length === 0 ? 0 : at % (s.length + (op === 'insert' ? 1 : 0));
    if (op === 'insert') return s.slice(0, i) + c + s.slice(i);
    if (op === 'delete') return s.slice(0, i) + s.slice(i + 1);
    return s.slice(0, i) + c + s.slice(i + 1);
  });
}

// ---- events ------------------------------------------------------------------------------

/** Text as events carry it: any Unicode (whole code points: Avro strings are UTF-8). */
const eventText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 30 }),
);

/** The client address field of an event: public, private, mapped, with ports, junk, placeholders. */
export const clientIpText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('2.56.188.34', '185.220.101.9', '1.0.0.1', '8.8.8.8', '10.0.0.1', '::ffff:2.56.188.34', '[2606:4700::1111]:443', '2.56.188.34:51234', '-', '') },
  { weight: 2, arbitrary: ipv4Text },
  { weight: 1, arbitrary: ipv6Compressed },
  { weight: 1, arbitrary: wrapped },
  { weight: 1, arbitrary: addressJunk },
);

/** Epoch milliseconds within the years 1970-2100 (Avro long, timestamp-millis). */
export const epochMs = fc.integer({ min: 0, max: 4_102_444_800_000 });

/** Avro longs that avsc reads back exactly: its zigzag decoding turns to floating point past
 * 2^53, so |n| <= 2^52 (larger safe integers round-trip with a loss of the last bit). */
export const avroLong = fc.integer({ min: -(2 ** 52), max: 2 ** 52 });

const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null, freq: 4 });

/** A record of schemas/AccessEvent.avsc, every field set (null where nullable and absent). */
export const accessEventRecord = fc.record({
  timestamp: epochMs,
  client_ip: nullable(clientIpText),
  method: nullable(fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), eventText)),
  host: nullable(eventText),
  path: nullable(eventText),
  status: nullable(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
  bytes: nullable(avroLong),
  user_agent: nullable(eventText),
  referrer: nullable(eventText),
  request_id: nullable(eventText),
  x_forwarded_for: nullable(fc.oneof(eventText, fc.array(clientIpText, { maxLength: 3 }).map((a) => a.join(', ')))),
});

/** A record of schemas/AuthEvent.avsc. */
export const authEventRecord = fc.record({
  timestamp: epochMs,
  ip: nullable(clientIpText),
  user: nullable(eventText),
  action: nullable(fc.constantFrom('login', 'logout', 'mfa', 'password_reset', 'signup', 'token')),
  outcome: nullable(fc.constantFrom('success', 'failure')),
  reason: nullable(eventText),
  user_agent: nullable(eventText),
  app: nullable(eventText),
  session_id: nullable(eventText),
});
