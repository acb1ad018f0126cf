import { LRUCache } from 'lru-cache';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSecs: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per caller (API key id, or client address when anonymous): `perMinute`
 * requests may come at once, then one more each 60/perMinute seconds. The least recently seen
 * callers are forgotten beyond `maxCallers`, which bounds memory when anonymous addresses vary.
 */
export class RateLimiter {
  private readonly buckets: LRUCache<string, Bucket>;
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly clock: () => number = Date.now,
    maxCallers = 10_000,
  ) {
    if (!Number.isInteger(perMinute) || perMinute < 1) throw new RangeError(`rate limit must be a positive integer per minute, got ${perMinute}`);
    this.perMs = perMinute / 60_000;
    this.buckets = new LRUCache({ max: maxCallers });
  }

  take(caller: string): RateDecision {
    const now = this.clock();
    let bucket = this.buckets.get(caller);
    if (bucket === undefined) {
      bucket = { tokens: this.perMinute, at: now };
      this.buckets.set(caller, bucket);
    } else {
      bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.perMs);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    const waitMs = (1 - bucket.tokens) / this.perMs;
    return { allowed: false, retryAfterSecs: Math.max(1, Math.ceil(waitMs / 1000)) };
  }
}
