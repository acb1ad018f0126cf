import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../../src/kafka/replay/token-bucket.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('starts empty, so the first events already wait their share of a second', () => {
    const c = clock();
    const bucket = new TokenBucket(10, 5, c.now);
    expect(bucket.reserve(5)).toBeCloseTo(500);
  });

  it('never lets n events through before n / rate seconds, however they are grouped', () => {
    const c = clock();
    const bucket = new TokenBucket(20, 5, c.now);
    let released = 0;
    for (const n of [1, 7, 3, 12, 2, 5]) {
      const wait = bucket.reserve(n);
      c.advance(wait);
      released += n;
      // Simulated time at which the last event may go, against the floor the rate sets.
      expect(c.now() - 1000).toBeGreaterThanOrEqual((released / 20) * 1000 - 1e-9);
    }
  });

  it('banks at most the burst while idle', () => {
    const c = clock();
    const bucket = new TokenBucket(10, 2, c.now);
    c.advance(60_000);
    expect(bucket.reserve(2)).toBe(0);
    expect(bucket.reserve(1)).toBeCloseTo(100);
  });

  it('rejects a rate that is not a positive number, naming the value', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(/got 0/);
    expect(() => new TokenBucket(Number.NaN, 1)).toThrow(/got NaN/);
  });

  it('stops waiting when its signal aborts', async () => {
    const bucket = new TokenBucket(1, 1);
    const abort = new AbortController();
    const waiting = bucket.take(60, abort.signal);
    abort.abort();
    await expect(waiting).rejects.toThrow(/abort/i);
  });
});
