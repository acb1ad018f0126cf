import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/http/rate-limit.js';

/** A clock the test moves by hand. */
class ManualClock {
  now = 1_000_000;
  readonly read = (): number => this.now;
}

describe('RateLimiter', () => {
  it('lets a burst of the per-minute limit through, then asks to retry', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(3, clock.read);
    expect([limiter.take('k'), limiter.take('k'), limiter.take('k')].every((d) => d.allowed)).toBe(true);
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSecs: 20 });
  });

  it('refills one request per 60/limit seconds', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(60, clock.read);
    for (let i = 0; i < 60; i++) limiter.take('k');
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSecs: 1 });
    clock.now += 1000;
    expect(limiter.take('k').allowed).toBe(true);
    expect(limiter.take('k').allowed).toBe(false);
  });

  it('keeps one bucket per caller', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(1, clock.read);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => new RateLimiter(0)).toThrow(/got 0/);
  });
});
