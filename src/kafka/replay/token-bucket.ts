import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A rate limit in events per second. The bucket starts empty and refills continuously, so
 * however the events are grouped, n events never finish before n / rate seconds have passed;
 * an idle spell banks at most `burst` events. A request larger than what is banked goes into
 * debt and waits for it to be repaid, so one call covers a whole chunk of a batch.
 */
export class TokenBucket {
  private tokens = 0;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSec > 0) || !Number.isFinite(ratePerSec)) throw new RangeError(`rate must be a positive number of events per second, got ${ratePerSec}`);
    if (!(burst >= 0)) throw new RangeError(`burst must be zero or more events, got ${burst}`);
    this.last = this.now();
  }

  /** Takes `n` events' worth and says how many milliseconds to wait before they may go. */
  reserve(n: number): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSec);
    this.last = now;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.ratePerSec) * 1000;
  }

  /** Waits until `n` events may go; rejects with an AbortError when `signal` aborts. */
  async take(n: number, signal?: AbortSignal): Promise<void> {
    const waitMs = this.reserve(n);
    if (waitMs > 0) await sleep(Math.ceil(waitMs), undefined, signal ? { signal } : undefined);
  }
}
