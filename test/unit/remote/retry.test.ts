import { describe, expect, it } from 'vitest';
import { fullJitterMs, retryAfterMs, sleep } from '../../../src/remote/retry.js';

describe('full-jitter backoff', () => {
  it('waits between 0 and min(max, base * 2^attempt)', () => {
    expect(fullJitterMs(0, 100, 5_000, () => 0.999)).toBe(99);
    expect(fullJitterMs(3, 100, 5_000, () => 0.5)).toBe(400);
    expect(fullJitterMs(10, 100, 5_000, () => 0.999)).toBe(4_995);
    expect(fullJitterMs(5, 100, 5_000, () => 0)).toBe(0);
  });

  it('stays finite for very high attempt numbers', () => {
    expect(fullJitterMs(10_000, 100, 5_000, () => 0.5)).toBe(2_500);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delay-seconds', () => {
    expect(retryAfterMs('2', now, 60_000)).toBe(2_000);
    expect(retryAfterMs(' 0 ', now, 60_000)).toBe(0);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now, 60_000)).toBe(30_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', now, 60_000)).toBe(0);
  });

  it('cuts long waits to the cap', () => {
    expect(retryAfterMs('3600', now, 30_000)).toBe(30_000);
    expect(retryAfterMs('Fri, 02 Jan 2026 00:00:00 GMT', now, 30_000)).toBe(30_000);
  });

  it('ignores an absent or unreadable value', () => {
    expect(retryAfterMs(undefined, now, 1_000)).toBeUndefined();
    expect(retryAfterMs('', now, 1_000)).toBeUndefined();
    expect(retryAfterMs('soon', now, 1_000)).toBeUndefined();
    expect(retryAfterMs('-5', now, 1_000)).toBeUndefined();
  });
});

describe('sleep', () => {
  it('wakes at once when its signal aborts', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
