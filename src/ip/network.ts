import { IpriskError } from '../errors.js';
import { bigIntToWords, formatIPv4, formatIPv6, parseIPv4, parseIPv6, wordsToBigInt } from './address.js';

/**
 * A CIDR network. IPv4 as a uint32 number, IPv6 as a 128-bit bigint: networks are built
 * off the hot path, where bigint's clarity is worth its cost. Every range a feed gives is
 * turned into CIDRs, so any two networks are either nested or disjoint.
 */
export type Network = { family: 4; first: number; prefix: number } | { family: 6; first: bigint; prefix: number };

const V6_MAX = (1n << 128n) - 1n;

export function lastOf(net: Network): number | bigint {
  if (net.family === 4) return net.first + 2 ** (32 - net.prefix) - 1;
  return net.first | (V6_MAX >> BigInt(net.prefix));
}

export function formatNetwork(net: Network): string {
  return net.family === 4
    ? `${formatIPv4(net.first)}/${net.prefix}`
    : `${formatIPv6(bigIntToWords(net.first))}/${net.prefix}`;
}

function maskV4(value: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return Math.floor(value / size) * size;
}

function maskV6(value: bigint, prefix: number): bigint {
  return value & ~(V6_MAX >> BigInt(prefix)) & V6_MAX;
}

type Address = { family: 4; value: number } | { family: 6; value: bigint };

/** An address as feeds write it; IPv4-mapped IPv6 (::ffff:a.b.c.d) is read as IPv4. */
function parseAddress(text: string): Address | undefined {
  const v4 = parseIPv4(text);
  if (v4 >= 0) return { family: 4, value: v4 };
  const words = parseIPv6(text);
  if (!words) return undefined;
  return { family: 6, value: wordsToBigInt(words) };
}

const MAPPED_PREFIX = 0xffffn << 32n;

function invalid(text: string, why: string): IpriskError {
  return new IpriskError('NETWORK_INVALID', `'${text}' is not a network: ${why}`);
}

/**
 * Parses `a.b.c.d/n`, `x::/n`, a single address (a /32 or /128), or a start-end range
 * `a - b` (turned into the fewest CIDRs that cover it exactly). Host bits set below the
 * prefix are cleared, as feeds often write `1.2.3.4/24`. `::ffff:a.b.c.d/n` (n >= 96) is
 * IPv4. Throws NETWORK_INVALID with the offending text.
 */
export function parseNetworks(text: string): Network[] {
  const trimmed = text.trim();
  const dash = trimmed.indexOf('-');
  if (dash > 0) {
    const from = parseAddress(trimmed.slice(0, dash).trim());
    const to = parseAddress(trimmed.slice(dash + 1).trim());
    if (!from || !to) throw invalid(trimmed, 'range ends must be IP addresses');
    if (from.family !== to.family) throw invalid(trimmed, 'range ends are of different families');
    if (from.value > to.value) throw invalid(trimmed, 'range start is after its end');
    return from.family === 4 ? rangeToCidrsV4(from.value, to.value as number) : rangeToCidrsV6(from.value, to.value as bigint);
  }
  const slash = trimmed.indexOf('/');
  const addrText = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const addr = parseAddress(addrText);
  if (!addr) throw invalid(trimmed, 'not an IPv4 or IPv6 address');
  let prefix = addr.family === 4 ? 32 : 128;
  if (slash >= 0) {
    const lenText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) throw invalid(trimmed, 'prefix length is not a number');
    prefix = Number(lenText);
    if (prefix > (addr.family === 4 ? 32 : 128)) throw invalid(trimmed, 'prefix length out of range');
  }
  if (addr.family === 4) return [{ family: 4, first: maskV4(addr.value, prefix), prefix }];
  if (prefix >= 96 && addr.value >> 32n === MAPPED_PREFIX >> 32n) {
    const v4 = Number(addr.value & 0xffffffffn);
    return [{ family: 4, first: maskV4(v4, prefix - 96), prefix: prefix - 96 }];
  }
  return [{ family: 6, first: maskV6(addr.value, prefix), prefix }];
}

/** Like parseNetworks but for text that must be one CIDR (or one address). */
export function parseNetwork(text: string): Network {
  const nets = parseNetworks(text);
  if (nets.length !== 1 || text.includes('-')) throw invalid(text.trim(), 'expected one CIDR network');
  return nets[0]!;
}

export function rangeToCidrsV4(first: number, last: number): Network[] {
  const out: Network[] = [];
  let cur = first;
  while (cur <= last) {
    let size = 1;
    let prefix = 32;
    // Grow the block while it stays aligned and inside the range.
    while (prefix > 0 && cur % (size * 2) === 0 && cur + size * 2 - 1 <= last) {
      size *= 2;
      prefix--;
    }
    out.push({ family: 4, first: cur, prefix });
    cur += size;
  }
  return out;
}

export function rangeToCidrsV6(first: bigint, last: bigint): Network[] {
  const out: Network[] = [];
  let cur = first;
  while (cur <= last) {
    let size = 1n;
    let prefix = 128;
    while (prefix > 0 && cur % (size * 2n) === 0n && cur + size * 2n - 1n <= last) {
      size *= 2n;
      prefix--;
    }
    out.push({ family: 6, first: cur, prefix });
    cur += size;
  }
  return out;
}

/** A fixed set of networks (trusted proxies, say) asked "does it hold this address?". */
export class NetworkSet {
  private readonly v4: { first: number; last: number }[] = [];
  private readonly v6: { first: bigint; last: bigint }[] = [];

  constructor(cidrs: readonly string[]) {
    for (const text of cidrs) {
      for (const net of parseNetworks(text)) {
        if (net.family === 4) this.v4.push({ first: net.first, last: lastOf(net) as number });
        else this.v6.push({ first: net.first, last: lastOf(net) as bigint });
      }
    }
  }

  get size(): number {
    return this.v4.length + this.v6.length;
  }

  hasV4(value: number): boolean {
    for (const r of this.v4) if (value >= r.first && value <= r.last) return true;
    return false;
  }

  hasV6(words: readonly number[]): boolean {
    if (this.v6.length === 0) return false;
    const value = wordsToBigInt(words);
    for (const r of this.v6) if (value >= r.first && value <= r.last) return true;
    return false;
  }
}
