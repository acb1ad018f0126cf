import { IpriskError } from '../errors.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/**
 * `90s`, `30m`, `6h`, `1d`, `1h30m`, `500ms` in milliseconds. A bare number is refused: a unit
 * left out is more often a mistake (seconds? minutes?) than a wish for milliseconds.
 */
export function parseDuration(text: string, field: string): number {
  const trimmed = text.trim();
  const fail = (why: string): IpriskError =>
    new IpriskError('CONFIG_INVALID', `${field}: '${text}' is not a duration (${why}); write it like 90s, 30m, 6h, 1d or 1h30m`);
  if (trimmed === '') throw fail('empty');
  let total = 0;
  PART.lastIndex = 0;
  let at = 0;
  while (at < trimmed.length) {
    const match = PART.exec(trimmed);
    if (!match) throw fail(`unexpected '${trimmed.slice(at)}'`);
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    at = PART.lastIndex;
  }
  if (!Number.isFinite(total) || total <= 0) throw fail('it must be longer than zero');
  return Math.round(total);
}

/** `5400000` → `1h30m`: how the CLI echoes an interval back. */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}ms`);
  return parts.join('');
}
