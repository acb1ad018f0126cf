/**
 * Turns for long requests (bulks), shared by every request of one server: one turn per
 * event-loop iteration, handed out first come, first served. A bulk waits for a turn before
 * each piece of its work (parsing its body, a chunk of lookups, a chunk of rendering) and
 * queues again behind the others after it, so bulks take turns round-robin and, between any
 * two pieces, the loop polls for I/O. A single lookup needs no turn and is answered at the
 * next poll: it waits for one piece of bulk work, not for a piece of every bulk in flight.
 *
 * Each bulk calling setImmediate on its own (as before) ran a chunk of every bulk in flight
 * in the same check phase: with 8 bulks of 50,000, a single lookup waited up to 629 ms
 * (measured by `npm run bench:serve`).
 */
export class TurnQueue {
  private readonly waiting: (() => void)[] = [];
  private head = 0;
  private scheduled = false;

  /** Resolves when it is the caller's turn; the caller's work then runs before the next poll. */
  turn(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.next);
      }
    });
  }

  /** Bulks waiting for a turn, for tests and metrics. */
  get length(): number {
    return this.waiting.length - this.head;
  }

  // One waiter per immediate: its continuation runs in this immediate's microtask checkpoint,
  // and the next immediate, queued from the check phase, runs after the next poll.
  private readonly next = (): void => {
    const resolve = this.waiting[this.head++];
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    if (this.length > 0) setImmediate(this.next);
    else this.scheduled = false;
    resolve?.();
  };
}
