import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/http/api-error.js';
import { InFlightLimits } from '../../../src/http/in-flight.js';

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected a 429');
}

describe('InFlightLimits', () => {
  it('refuses a key beyond its requests in flight with 429 and Retry-After, other keys unaffected', () => {
    const limits = new InFlightLimits(2, 0);
    const a1 = limits.enter('a');
    limits.enter('a');
    const err = refusal(() => limits.enter('a'));
    expect(err.status).toBe(429);
    expect(err.headers['Retry-After']).toBe('1');
    expect(err.message).toContain('2 at once per API key');
    limits.enter('b');
    a1();
    a1(); // releasing twice frees one slot only
    limits.enter('a');
    expect(refusal(() => limits.enter('a')).status).toBe(429);
  });

  it('counts bulk addresses, always letting a key with none in flight through', () => {
    const limits = new InFlightLimits(0, 100_000);
    const big = limits.enterIps('a', 150_000);
    expect(refusal(() => limits.enterIps('a', 1)).message).toContain('150,000 are being answered');
    big();
    const half = limits.enterIps('a', 50_000);
    limits.enterIps('a', 50_000);
    expect(refusal(() => limits.enterIps('a', 1)).status).toBe(429);
    half();
    limits.enterIps('a', 50_000);
  });

  it('0 means unlimited', () => {
    const limits = new InFlightLimits(0, 0);
    for (let i = 0; i < 1000; i++) {
      limits.enter('a');
      limits.enterIps('a', 50_000);
    }
  });
});
