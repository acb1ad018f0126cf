import { describe, expect, it } from 'vitest';
import { MAX_BACKOFF_MS, backoffMs, parseRetryAfter, sleep } from '../../../src/update/retry.js';

describe('parseRetryAfter', () => {
  it('reads both forms RFC 9110 gives as examples', () => {
    // RFC 9110 section 10.2.3: "Retry-After: Fri, 31 Dec 1999 23:59:59 GMT" and "Retry-After: 120".
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter('Fri, 31 Dec 1999 23:59:59 GMT', Date.parse('Fri, 31 Dec 1999 23:57:59 GMT'))).toBe(120_000);
  });

  it('reads the obsolete date forms RFC 9110 still asks recipients to accept', () => {
    const now = Date.parse('Sun, 06 Nov 1994 08:48:37 GMT');
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(60_000);
    // asctime carries no zone, so only that it is read is certain.
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', now)).toBeTypeOf('number');
  });

  it('treats a date in the past as now and ignores what it cannot read', () => {
    expect(parseRetryAfter('Fri, 31 Dec 1999 23:59:59 GMT', Date.parse('2025-01-01T00:00:00Z'))).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-5')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('backoffMs', () => {
  it('doubles per attempt with jitter between half and all of the step', () => {
    expect(backoffMs(0, 1000, () => 0)).toBe(500);
    expect(backoffMs(0, 1000, () => 1)).toBe(1000);
    expect(backoffMs(3, 1000, () => 0)).toBe(4000);
    expect(backoffMs(3, 1000, () => 1)).toBe(8000);
  });

  it('never waits longer than the cap however many attempts failed', () => {
    expect(backoffMs(30, 1000, () => 1)).toBe(MAX_BACKOFF_MS);
  });
});

describe('sleep', () => {
  it('ends early without an error when its signal aborts', async () => {
    const controller = new AbortController();
    const slept = sleep(3_600_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
