/**
 * Waiting between attempts at an HTTP request: the exponential backoff step, the server's
 * Retry-After, and an abortable sleep. Shared by the remote providers and the feed updater.
 */

/**
 * How a backoff wait is drawn below its ceiling, min(max, base * 2^attempt):
 * - 'full': uniform in [0, ceiling) ("full jitter", AWS architecture blog, "Exponential Backoff
 *   and Jitter"); spreads many callers that failed together the most.
 * - 'equal': half the ceiling fixed, half random, so a retry never comes at once.
 */
export type Jitter = 'full' | 'equal';

/** Wait before retry number `attempt` (0 for the first retry). */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, jitter: Jitter, random: () => number = Math.random): number {
  // Capping the exponent keeps base * 2^attempt finite (and never 0 * Infinity) however many attempts failed.
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return jitter === 'full' ? Math.floor(random() * ceiling) : Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date. Milliseconds from `now`,
 * at least 0 (a date in the past means now), cut to `capMs`; undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now(), capMs = Infinity): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    // An HTTP date names its day and month; Date.parse alone would take "-5" for a year.
    const at = /^[A-Za-z]{3}/.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(capMs, Math.max(0, ms));
}

/** Resolves after `ms`, or at once (without rejecting) when `signal` aborts: the caller checks why it woke. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
