import type { LoadedSource } from '../../../src/feeds/types.js';
import { parseIPv4, parseIPv6 } from '../../../src/ip/address.js';
import { parseNetworks } from '../../../src/ip/network.js';
import type { Signals } from '../../../src/security/record.js';
import type { IndexMatch, RangeIndex } from '../../../src/range-index/types.js';

/** A source as a loader would hand it over, from (network text, signals) rows. */
export function source(name: string, rows: readonly (readonly [string, Signals])[], problems = 0): LoadedSource {
  return {
    name,
    format: 'netset',
    file: `${name}.netset`,
    entries: rows.flatMap(([text, signals]) => parseNetworks(text).map((network) => ({ network, signals }))),
    problems: Array.from({ length: problems }, (_, i) => ({ file: `${name}.netset`, line: i + 1, message: 'bad line' })),
    bytes: 0,
  };
}

export function match(index: RangeIndex, ip: string): IndexMatch | undefined {
  if (ip.includes(':')) {
    const words = parseIPv6(ip);
    if (!words) throw new Error(`test address ${ip} is not IPv6`);
    return index.matchV6(words);
  }
  const value = parseIPv4(ip);
  if (value < 0) throw new Error(`test address ${ip} is not IPv4`);
  return index.matchV4(value);
}

export function find(index: RangeIndex, ip: string): ReturnType<RangeIndex['findV4']> {
  return ip.includes(':') ? index.findV6(parseIPv6(ip)!) : index.findV4(parseIPv4(ip));
}
