import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../../src/update/concurrency.js';
import { repeatEvery } from '../../../src/update/schedule.js';

describe('repeatEvery', () => {
  it('runs rounds until its signal aborts, cutting the wait short', async () => {
    const controller = new AbortController();
    let rounds = 0;
    const ran = await repeatEvery(1, controller.signal, () => {
      rounds++;
      if (rounds === 3) controller.abort();
      return Promise.resolve();
    });
    expect(ran).toBe(3);

    const long = new AbortController();
    const waiting = repeatEvery(3_600_000, long.signal, () => Promise.resolve(), {
      onWait: () => {
        long.abort();
      },
    });
    await expect(waiting).resolves.toBe(1);
  });

  it('reports a round that throws and goes on with the next', async () => {
    const controller = new AbortController();
    const errors: unknown[] = [];
    let rounds = 0;
    await repeatEvery(
      1,
      controller.signal,
      () => {
        rounds++;
        if (rounds === 2) controller.abort();
        return rounds === 1 ? Promise.reject(new Error('disk full')) : Promise.resolve();
      },
      { onError: (err) => errors.push(err) },
    );
    expect(rounds).toBe(2);
    expect(errors).toHaveLength(1);
  });
});

describe('mapLimit', () => {
  it('keeps at most the limit in flight and returns results in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, n));
      inFlight--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });
});
