import { describe, expect, it } from 'vitest';
import { IpBudget } from '../../../src/remote/budget.js';

describe('the IPs-per-minute budget', () => {
  it('grants a full minute at once, then refills continuously', () => {
    let now = 0;
    const budget = new IpBudget(60, () => now);
    expect(budget.take(100)).toBe(60);
    expect(budget.take(1)).toBe(0);
    now += 10_000;
    expect(budget.take(100)).toBe(10);
    now += 10 * 60_000;
    expect(budget.take(100)).toBe(60);
  });

  it('grants everything when the budget is 0 (unlimited)', () => {
    const budget = new IpBudget(0, () => 0);
    expect(budget.unlimited).toBe(true);
    expect(budget.take(1_000_000)).toBe(1_000_000);
  });
});
