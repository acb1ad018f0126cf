/**
 * A budget of addresses per minute as a token bucket: it holds at most one minute's worth and
 * refills continuously, so a burst may spend the whole minute at once but the average never
 * exceeds the budget. 0 = unlimited.
 */
export class IpBudget {
  private readonly perMinute: number;
  private readonly clock: () => number;
  private tokens: number;
  private updatedAt: number;

  constructor(perMinute: number, clock: () => number) {
    this.perMinute = perMinute;
    this.clock = clock;
    this.tokens = perMinute;
    this.updatedAt = clock();
  }

  get unlimited(): boolean {
    return this.perMinute === 0;
  }

  /** Takes up to `wanted` addresses' worth and returns how many were granted. */
  take(wanted: number): number {
    if (this.perMinute === 0) return wanted;
    const now = this.clock();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.perMinute, this.tokens + (elapsed * this.perMinute) / 60_000);
    this.updatedAt = now;
    const granted = Math.min(wanted, Math.floor(this.tokens));
    this.tokens -= granted;
    return granted;
  }
}
