import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../src/remote/breaker.js';
import type { CircuitState } from '../../../src/remote/types.js';

function breaker(threshold = 3, openMs = 1_000) {
  let now = 0;
  const changes: CircuitState[] = [];
  const b = new CircuitBreaker({ failureThreshold: threshold, openMs, clock: () => now, onChange: (s) => changes.push(s) });
  return { b, changes, advance: (ms: number) => (now += ms) };
}

describe('the circuit breaker', () => {
  it('opens after the threshold of consecutive failures, not before', () => {
    const { b, changes } = breaker(3);
    b.failure();
    b.failure();
    expect(b.tryAcquire()).toBe(true);
    b.failure();
    expect(b.current).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    expect(changes).toEqual(['open']);
  });

  it('counts only consecutive failures: a success starts the count again', () => {
    const { b } = breaker(3);
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.current).toBe('closed');
  });

  it('lets one trial through after open_ms, closing on its success', () => {
    const { b, changes, advance } = breaker(1, 1_000);
    b.failure();
    advance(999);
    expect(b.tryAcquire()).toBe(false);
    expect(b.msUntilTrial()).toBe(1);
    advance(1);
    expect(b.current).toBe('half_open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.success();
    expect(b.current).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('opens again for another open_ms when the trial fails', () => {
    const { b, advance } = breaker(1, 1_000);
    b.failure();
    advance(1_000);
    expect(b.tryAcquire()).toBe(true);
    b.failure();
    expect(b.current).toBe('open');
    advance(500);
    expect(b.tryAcquire()).toBe(false);
    advance(500);
    expect(b.tryAcquire()).toBe(true);
  });

  it('frees the trial when a request ends without a verdict', () => {
    const { b, advance } = breaker(1, 1_000);
    b.failure();
    advance(1_000);
    expect(b.tryAcquire()).toBe(true);
    b.release();
    expect(b.tryAcquire()).toBe(true);
  });
});
