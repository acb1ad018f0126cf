import { describe, expect, it } from 'vitest';
import { TurnQueue } from '../../../src/http/turns.js';

describe('TurnQueue', () => {
  it('hands out turns round-robin, one per event-loop iteration', async () => {
    const turns = new TurnQueue();
    const log: string[] = [];
    const worker = async (name: string, pieces: number): Promise<void> => {
      for (let i = 0; i < pieces; i++) {
        await turns.turn();
        log.push(name);
        // Work queued for the poll phase of this iteration: it must run before the next turn.
        setImmediate(() => log.push('.'));
      }
    };
    await Promise.all([worker('a', 3), worker('b', 3), worker('c', 1)]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.filter((l) => l !== '.').join('')).toBe('abcabab');
    // One turn per iteration: an immediate queued by a piece runs in the next iteration, beside
    // exactly one more piece, so pieces never come two in a row after the first.
    expect(log.join('')).toMatch(/^[abc](?:[abc]\.)+\.$/);
  });

  it('lets I/O of the same iteration run between two turns', async () => {
    const turns = new TurnQueue();
    let pieces = 0;
    let timerFiredAt = -1;
    setTimeout(() => (timerFiredAt = pieces), 0);
    const busy = async (): Promise<void> => {
      for (let i = 0; i < 50; i++) {
        await turns.turn();
        pieces++;
        const until = Date.now() + 1;
        while (Date.now() < until) {
          /* a piece of work of about 1 ms */
        }
      }
    };
    await Promise.all([busy(), busy()]);
    expect(timerFiredAt).toBeGreaterThanOrEqual(0);
    expect(timerFiredAt).toBeLessThan(10);
    expect(turns.length).toBe(0);
  });
});
