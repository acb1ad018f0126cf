import { describe, expect, it } from 'vitest';
import { inForceAt } from '../../../src/history/as-of.js';

const starts = [1_000, 2_000, 3_000];

describe('the snapshot in force at a time', () => {
  it('is the one starting exactly at that time', () => {
    expect(inForceAt(starts, 2_000)).toBe(1);
    expect(inForceAt(starts, 1_000)).toBe(0);
    expect(inForceAt(starts, 3_000)).toBe(2);
  });

  it('is the previous one a millisecond before a start', () => {
    expect(inForceAt(starts, 1_999)).toBe(0);
    expect(inForceAt(starts, 2_999)).toBe(1);
  });

  it('is the newest after the last start', () => {
    expect(inForceAt(starts, 1e15)).toBe(2);
  });

  it('is none before the first start', () => {
    expect(inForceAt(starts, 999)).toBe(-1);
    expect(inForceAt([], 5_000)).toBe(-1);
  });

  it('agrees with a linear scan on every time around every start', () => {
    const many = Array.from({ length: 50 }, (_, i) => i * 10 + (i % 3));
    for (let t = -5; t < 520; t++) {
      let expected = -1;
      many.forEach((s, i) => {
        if (s <= t) expected = i;
      });
      expect(inForceAt(many, t)).toBe(expected);
    }
  });
});
