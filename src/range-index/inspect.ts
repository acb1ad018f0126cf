import { FLAG_NAMES } from './types.js';
import type { FlagName, RangeIndex, SourceStats } from './types.js';

/** `iprisk index inspect --json`: one object, snake_case like the rest of iprisk's JSON. */
export interface IndexDescription {
  version: string;
  built_at: string;
  valid_from: string;
  age_seconds: number;
  ranges: { v4: number; v6: number };
  entries: number;
  bogon_networks_clipped: number;
  sources: {
    name: string;
    format: string;
    networks_v4: number;
    networks_v6: number;
    problems: number;
    ranges_v4: number;
    ranges_v6: number;
    /** A known-good source (meaning benign): the provider it goes by, and the ranges where it
     * cleared is_bot, is_spam or is_known_attacker that other sources gave; null otherwise. */
    benign: { provider: string; cleared_ranges_v4: number; cleared_ranges_v6: number } | null;
  }[];
  flags: Record<FlagName, { ranges_v4: number; ranges_v6: number; addresses_v4: number }>;
}

export function describeIndexJson(index: RangeIndex, now: Date): IndexDescription {
  const { stats } = index;
  return {
    version: index.version,
    built_at: index.builtAt.toISOString(),
    valid_from: index.validFrom.toISOString(),
    age_seconds: Math.floor((now.getTime() - index.builtAt.getTime()) / 1000),
    ranges: { v4: stats.rangesV4, v6: stats.rangesV6 },
    entries: stats.entries,
    bogon_networks_clipped: stats.bogonNetworksClipped,
    sources: stats.sources.map((s) => ({
      name: s.name,
      format: s.format,
      networks_v4: s.networksV4,
      networks_v6: s.networksV6,
      problems: s.problems,
      ranges_v4: s.rangesV4,
      ranges_v6: s.rangesV6,
      benign: s.benign ? { provider: s.benign.provider, cleared_ranges_v4: s.benign.clearedRangesV4, cleared_ranges_v6: s.benign.clearedRangesV6 } : null,
    })),
    flags: Object.fromEntries(
      FLAG_NAMES.map((f) => {
        const c = stats.flags[f];
        return [f, { ranges_v4: c.rangesV4, ranges_v6: c.rangesV6, addresses_v4: c.addressesV4 }];
      }),
    ) as IndexDescription['flags'],
  };
}

const AGE_UNITS: readonly [string, number][] = [
  ['d', 86_400],
  ['h', 3_600],
  ['min', 60],
  ['s', 1],
];

/** "3 h 12 min": the largest unit and the next one, enough to judge staleness at a glance. */
export function formatAge(seconds: number): string {
  if (seconds < 0) return `${formatAge(-seconds)} in the future (clock skew?)`;
  const whole = Math.floor(seconds);
  const top = AGE_UNITS.findIndex(([, size]) => whole >= size);
  if (top < 0) return '0 s';
  const [bigName, bigSize] = AGE_UNITS[top]!;
  const big = Math.floor(whole / bigSize);
  const next = AGE_UNITS[top + 1];
  const small = next ? Math.floor((whole - big * bigSize) / next[1]) : 0;
  return next && small > 0 ? `${big} ${bigName} ${small} ${next[0]}` : `${big} ${bigName}`;
}

export const group = (n: number): string => n.toLocaleString('en-US');

/** Text columns (the first `leftColumns`) align left, numbers right; one string per line. */
export function table(head: string[], rows: string[][], leftColumns: number): string[] {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (c < leftColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** The known-good sources (meaning benign), when the index has any. */
function knownGoodLines(sources: readonly SourceStats[]): string[] {
  const rows = sources.flatMap((s) =>
    s.benign ? [[s.name, s.benign.provider, group(s.benign.clearedRangesV4), group(s.benign.clearedRangesV6)]] : [],
  );
  if (rows.length === 0) return [];
  return [
    '',
    'known-good sources (meaning benign: is_bot, is_spam, is_known_attacker cleared in their ranges)',
    ...table(['name', 'provider', 'cleared ranges v4', 'cleared ranges v6'], rows, 2).map((l) => `  ${l}`),
  ];
}

/** `iprisk index inspect`: what an operator checks before trusting a new snapshot. */
export function describeIndex(index: RangeIndex, now: Date): string {
  const d = describeIndexJson(index, now);
  const out = [
    `version     ${d.version}`,
    `built at    ${d.built_at} (${formatAge(d.age_seconds)} ago)`,
    `valid from  ${d.valid_from}`,
    `ranges      ${group(d.ranges.v4)} IPv4, ${group(d.ranges.v6)} IPv6`,
    `entries     ${group(d.entries)} distinct answers`,
    `bogons      ${group(d.bogon_networks_clipped)} feed networks clipped (wholly or partly)`,
    '',
    'sources',
    ...table(
      ['name', 'format', 'networks v4', 'networks v6', 'problems', 'ranges v4', 'ranges v6'],
      index.stats.sources.map((s: SourceStats) => [
        s.name,
        s.format,
        group(s.networksV4),
        group(s.networksV6),
        group(s.problems),
        group(s.rangesV4),
        group(s.rangesV6),
      ]),
      2,
    ).map((l) => `  ${l}`),
    ...knownGoodLines(index.stats.sources),
    '',
    'flags',
    ...table(
      ['flag', 'ranges v4', 'ranges v6', 'IPv4 addresses'],
      FLAG_NAMES.map((f) => [f, group(d.flags[f].ranges_v4), group(d.flags[f].ranges_v6), group(d.flags[f].addresses_v4)]),
      1,
    ).map((l) => `  ${l}`),
  ];
  return out.join('\n');
}
