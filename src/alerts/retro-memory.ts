import type { EventKind } from './fields.js';
import type { AlertSource } from './types.js';

/** The fields of one event that the rules read, with where it was read and when it happened. */
export interface RememberedEvent {
  readonly kind: EventKind;
  readonly source: AlertSource;
  readonly timeMs: number;
  /** Values of the rules' event paths, in the order of the retro evaluator's path list. */
  readonly fields: readonly unknown[];
}

/** What `run` remembers of one address it looked up. */
export interface SeenAddress {
  readonly ip: string;
  /** Event times (epoch ms) of the earliest and latest event from the address. */
  firstSeenMs: number;
  lastSeenMs: number;
  /** Events from the address since it was first remembered. */
  count: number;
  /** Clock time (epoch ms) of the last batch that saw the address: what lookback and recency go by. */
  touchedMs: number;
  /**
   * Per rule (in rule order), the latest event whose kind and event fields met the rule's event
   * conditions, or undefined when no event did.
   */
  readonly events: (RememberedEvent | undefined)[];
  /** Per rule, whether it matched an event of the address with the answer given at the time. */
  readonly matched: boolean[];
}

/** One batch's events from one address, folded together before they touch the memory. */
export interface AddressObservation {
  ip: string;
  firstSeenMs: number;
  lastSeenMs: number;
  count: number;
  events: (RememberedEvent | undefined)[];
  matched: boolean[];
}

export type ForgetReason = 'capacity' | 'expired';

export interface SeenAddressesOptions {
  maxAddresses: number;
  lookbackMs: number;
  /** Epoch milliseconds. */
  clock: () => number;
  /** Called once per address forgotten, with why. */
  onForget?: (reason: ForgetReason) => void;
}

/**
 * The addresses seen in the last `lookbackMs`, at most `maxAddresses` of them. A Map keeps
 * insertion order, and an address seen again is moved to the end, so the first key is always
 * the least recently seen one: dropping it is the eviction, and expiry only ever trims the
 * front. Both are O(1) per address.
 */
export class SeenAddresses {
  private readonly byIp = new Map<string, SeenAddress>();
  private readonly maxAddresses: number;
  private readonly lookbackMs: number;
  private readonly clock: () => number;
  private readonly onForget: (reason: ForgetReason) => void;

  constructor(options: SeenAddressesOptions) {
    this.maxAddresses = options.maxAddresses;
    this.lookbackMs = options.lookbackMs;
    this.clock = options.clock;
    this.onForget = options.onForget ?? (() => undefined);
  }

  get size(): number {
    return this.byIp.size;
  }

  /** Merges one batch's observation of an address and makes it the most recently seen. */
  record(o: AddressObservation): void {
    const now = this.clock();
    const known = this.byIp.get(o.ip);
    if (known === undefined) {
      this.byIp.set(o.ip, { ...o, touchedMs: now });
      this.trimToCapacity();
      return;
    }
    this.byIp.delete(o.ip);
    known.firstSeenMs = Math.min(known.firstSeenMs, o.firstSeenMs);
    known.lastSeenMs = Math.max(known.lastSeenMs, o.lastSeenMs);
    known.count += o.count;
    known.touchedMs = now;
    for (let r = 0; r < o.events.length; r++) {
      const event = o.events[r];
      if (event !== undefined) known.events[r] = event;
      if (o.matched[r] === true) known.matched[r] = true;
    }
    this.byIp.set(o.ip, known);
  }

  /** Forgets every address not seen within the lookback; returns how many. */
  expire(): number {
    const cutoff = this.clock() - this.lookbackMs;
    let expired = 0;
    for (const [ip, seen] of this.byIp) {
      if (seen.touchedMs >= cutoff) break;
      this.byIp.delete(ip);
      this.onForget('expired');
      expired++;
    }
    return expired;
  }

  /** The addresses remembered, least recently seen first, after expiring the old ones. */
  current(): SeenAddress[] {
    this.expire();
    return [...this.byIp.values()];
  }

  get(ip: string): SeenAddress | undefined {
    return this.byIp.get(ip);
  }

  private trimToCapacity(): void {
    while (this.byIp.size > this.maxAddresses) {
      const oldest = this.byIp.keys().next();
      if (oldest.done === true) return;
      this.byIp.delete(oldest.value);
      this.onForget('capacity');
    }
  }
}
