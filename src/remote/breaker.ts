import type { CircuitState } from './types.js';

/** The gauge values SPEC section 8 exports: 0 closed, 1 half-open, 2 open. */
export const CIRCUIT_GAUGE: Readonly<Record<CircuitState, number>> = Object.freeze({ closed: 0, half_open: 1, open: 2 });

export interface BreakerOptions {
  failureThreshold: number;
  openMs: number;
  clock: () => number;
  onChange?: (state: CircuitState) => void;
}

/**
 * A circuit breaker counting consecutive failed requests. Closed: every request goes. After
 * `failureThreshold` failures in a row: open, every request refused for `openMs`. Then
 * half-open: exactly one trial request goes; its success closes the circuit, its failure opens
 * it again for another `openMs`. A provider that keeps failing thus costs one request per
 * `openMs`, not one per batch.
 */
export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private readonly options: BreakerOptions;

  constructor(options: BreakerOptions) {
    this.options = options;
  }

  get current(): CircuitState {
    // An open circuit whose time is up reads as half-open: the next request is the trial.
    if (this.state === 'open' && this.options.clock() - this.openedAt >= this.options.openMs) return 'half_open';
    return this.state;
  }

  /** Milliseconds until a request would be let through (0: now). */
  msUntilTrial(): number {
    if (this.state === 'closed') return 0;
    if (this.state === 'half_open') return this.trialInFlight ? this.options.openMs : 0;
    return Math.max(0, this.openedAt + this.options.openMs - this.options.clock());
  }

  /** Whether a request may go now. A true answer in half-open state reserves the trial: report its result. */
  tryAcquire(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (this.options.clock() - this.openedAt < this.options.openMs) return false;
      this.set('half_open');
    }
    if (this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.trialInFlight = false;
    if (this.state !== 'closed') this.set('closed');
  }

  failure(): void {
    this.trialInFlight = false;
    if (this.state === 'half_open') {
      this.open();
      return;
    }
    if (this.state === 'open') return;
    this.failures++;
    if (this.failures >= this.options.failureThreshold) this.open();
  }

  /** A request that ended without telling anything about the provider's health (e.g. shutdown). */
  release(): void {
    this.trialInFlight = false;
  }

  private open(): void {
    this.openedAt = this.options.clock();
    this.failures = 0;
    this.set('open');
  }

  private set(state: CircuitState): void {
    if (this.state === state) return;
    this.state = state;
    this.options.onChange?.(state);
  }
}
