import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/update/duration.js';

describe('parseDuration', () => {
  it('reads the intervals operators write', () => {
    expect(parseDuration('90s', '--every')).toBe(90_000);
    expect(parseDuration('30m', '--every')).toBe(30 * 60_000);
    expect(parseDuration('6h', '--every')).toBe(6 * 3_600_000);
    expect(parseDuration('1d', '--every')).toBe(86_400_000);
    expect(parseDuration('1h30m', '--every')).toBe(90 * 60_000);
    expect(parseDuration('500ms', '--every')).toBe(500);
    expect(parseDuration('1.5h', '--every')).toBe(90 * 60_000);
  });

  it('refuses a number without a unit, an unknown unit and zero, naming the field and the value', () => {
    expect(() => parseDuration('10', '--every')).toThrow(/--every: '10' is not a duration/);
    expect(() => parseDuration('6x', '--every')).toThrow(/--every: '6x' is not a duration/);
    expect(() => parseDuration('0s', '--every')).toThrow(/longer than zero/);
    expect(() => parseDuration('', '--every')).toThrow(/empty/);
    expect(() => parseDuration('1h 30m', '--every')).toThrow(/unexpected ' 30m'/);
  });

  it('prints an interval back in the same notation', () => {
    expect(formatDuration(90 * 60_000)).toBe('1h30m');
    expect(formatDuration(6 * 3_600_000)).toBe('6h');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(250)).toBe('250ms');
    expect(parseDuration(formatDuration(93_784_005), 'x')).toBe(93_784_005);
  });
});
