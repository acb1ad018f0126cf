import { describe, expect, it } from 'vitest';
import { backoffMs, parseRetryAfter, sleep } from '../../../src/net/retry.js';

describe('full-jitter backoff', () => {
  it('waits between 0 and min(max, base * 2^attempt)', () => {
    expect(backoffMs(0, 100, 5_000, 'full', () => 0.999)).toBe(99);
    expect(backoffMs(3, 100, 5_000, 'full', () => 0.5)).toBe(400);
    expect(backoffMs(10, 100, 5_000, 'full', () => 0.999)).toBe(4_995);
    expect(backoffMs(5, 100, 5_000, 'full', () => 0)).toBe(0);
  });

  it('stays finite for very high attempt numbers', () => {
    expect(backoffMs(10_000, 100, 5_000, 'full', () => 0.5)).toBe(2_500);
  });
});

describe('equal-jitter backoff', () => {
  it('doubles per attempt with jitter between half and all of the step', () => {
    expect(backoffMs(0, 1000, 60_000, 'equal', () => 0)).toBe(500);
    expect(backoffMs(0, 1000, 60_000, 'equal', () => 1)).toBe(1000);
    expect(backoffMs(3, 1000, 60_000, 'equal', () => 0)).toBe(4000);
    expect(backoffMs(3, 1000, 60_000, 'equal', () => 1)).toBe(8000);
  });

  it('never waits longer than the cap however many attempts failed', () => {
    expect(backoffMs(30, 1000, 60_000, 'equal', () => 1)).toBe(60_000);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads both forms RFC 9110 gives as examples', () => {
    // RFC 9110 section 10.2.3: "Retry-After: Fri, 31 Dec 1999 23:59:59 GMT" and "Retry-After: 120".
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter('Fri, 31 Dec 1999 23:59:59 GMT', Date.parse('Fri, 31 Dec 1999 23:57:59 GMT'))).toBe(120_000);
  });

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('2', now, 60_000)).toBe(2_000);
    expect(parseRetryAfter(' 0 ', now, 60_000)).toBe(0);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now, 60_000)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now, 60_000)).toBe(0);
    expect(parseRetryAfter('Fri, 31 Dec 1999 23:59:59 GMT', Date.parse('2025-01-01T00:00:00Z'))).toBe(0);
  });

  it('reads the obsolete date forms RFC 9110 still asks recipients to accept', () => {
    const then = Date.parse('Sun, 06 Nov 1994 08:48:37 GMT');
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', then)).toBe(60_000);
    // asctime carries no zone, so only that it is read is certain.
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', then)).toBeTypeOf('number');
  });

  it('cuts long waits to the cap, and leaves them whole without one', () => {
    expect(parseRetryAfter('3600', now, 30_000)).toBe(30_000);
    expect(parseRetryAfter('Fri, 02 Jan 2026 00:00:00 GMT', now, 30_000)).toBe(30_000);
    expect(parseRetryAfter('3600', now)).toBe(3_600_000);
  });

  it('ignores an absent or unreadable value', () => {
    expect(parseRetryAfter(undefined, now, 1_000)).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('', now, 1_000)).toBeUndefined();
    expect(parseRetryAfter('soon', now, 1_000)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-5', now, 1_000)).toBeUndefined();
    expect(parseRetryAfter('-5')).toBeUndefined();
  });
});

describe('sleep', () => {
  it('wakes at once, without an error, when its signal aborts', async () => {
    const controller = new AbortController();
    const slept = sleep(3_600_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
