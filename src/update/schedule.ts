import { sleep } from '../net/retry.js';

/**
 * Runs `round` now and then again `intervalMs` after each one ends, until `signal` aborts
 * (which also cuts the sleep short). A round that throws is handed to `onError` and the loop
 * goes on: the next round may well succeed. Resolves with the number of rounds run.
 */
export async function repeatEvery(
  intervalMs: number,
  signal: AbortSignal,
  round: () => Promise<void>,
  hooks: { onError?: (err: unknown) => void; onWait?: (ms: number) => void } = {},
): Promise<number> {
  let rounds = 0;
  // A function, so that the checks after each await are not narrowed away as always false.
  const stopped = (): boolean => signal.aborted;
  while (!stopped()) {
    try {
      await round();
    } catch (err) {
      hooks.onError?.(err);
    }
    rounds++;
    if (stopped()) break;
    hooks.onWait?.(intervalMs);
    await sleep(intervalMs, signal);
  }
  return rounds;
}
