/** The longest a retry waits, whatever the attempt number. */
export const MAX_BACKOFF_MS = 60_000;

/**
 * A server asking for a longer pause than this (Retry-After) gets it at the next round, not
 * by holding the round open: the other feeds and the rebuild should not wait on one publisher.
 */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * Wait before retry number `attempt` (0 for the first retry): base * 2^attempt, capped, with
 * "equal jitter" (half fixed, half random) so that many feeds failing together (a network
 * blip) do not retry in lockstep, yet never retry at once.
 */
export function backoffMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date. Undefined when absent
 * or unreadable; a date in the past means now.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // HTTP dates always name the day and month; Date.parse alone would also take '-5' as a year.
  const at = /^[A-Za-z]{3}/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Resolves after `ms`, or early (without rejecting) when `signal` aborts: callers check the signal. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
