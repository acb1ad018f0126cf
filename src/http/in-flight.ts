import { ApiError } from './api-error.js';

/** What a caller waits before retrying a request refused for concurrency: answers end in ms to seconds. */
const RETRY_AFTER_SECS = 1;

/**
 * Per-caller concurrency (API key id, or client address when anonymous): requests being
 * answered, and bulk addresses being answered. Beyond a limit the request is answered 429 with
 * Retry-After, so one client's burst cannot take every turn of the bulk queue from the others.
 * Counts live only while a caller has work in flight, so the maps stay as small as the load.
 */
export class InFlightLimits {
  private readonly requests = new Map<string, number>();
  private readonly ips = new Map<string, number>();

  constructor(
    private readonly maxRequests: number,
    private readonly maxIps: number,
  ) {}

  /** Counts a request of `caller`; throws the 429 beyond the limit. The result undoes it, once. */
  enter(caller: string): () => void {
    if (this.maxRequests === 0) return noop;
    const now = this.requests.get(caller) ?? 0;
    if (now >= this.maxRequests) {
      throw tooMany(`Too many requests in flight: the limit is ${this.maxRequests} at once per API key. Retry after ${RETRY_AFTER_SECS} s.`);
    }
    this.requests.set(caller, now + 1);
    return once(() => {
      decrement(this.requests, caller, 1);
    });
  }

  /**
   * Counts `count` bulk addresses of `caller`; throws the 429 beyond the limit. A caller with
   * nothing in flight is always let through, so a limit below max_bulk_ips still lets a single
   * bulk run. The result undoes it, once.
   */
  enterIps(caller: string, count: number): () => void {
    if (this.maxIps === 0) return noop;
    const now = this.ips.get(caller) ?? 0;
    if (now > 0 && now + count > this.maxIps) {
      throw tooMany(
        `Too many bulk addresses in flight: ${now.toLocaleString('en-US')} are being answered for this API key and the limit is ${this.maxIps.toLocaleString('en-US')}. Retry after ${RETRY_AFTER_SECS} s.`,
      );
    }
    this.ips.set(caller, now + count);
    return once(() => {
      decrement(this.ips, caller, count);
    });
  }
}

function tooMany(message: string): ApiError {
  return new ApiError(429, message, { headers: { 'Retry-After': String(RETRY_AFTER_SECS) } });
}

function noop(): void {
  return;
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

function decrement(map: Map<string, number>, caller: string, by: number): void {
  const left = (map.get(caller) ?? by) - by;
  if (left <= 0) map.delete(caller);
  else map.set(caller, left);
}
