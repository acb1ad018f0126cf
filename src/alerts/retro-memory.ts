import type { EventKind } from './fields.js';

/** The most rules retro-alerts follow: per address, which rules matched is one 32-bit mask. */
export const MAX_RETRO_RULES = 32;

/** The fields of one event that the rules read, with where it was read and when it happened. */
export interface RememberedEvent {
  readonly kind: EventKind;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The event's time (its own, else its record's), epoch milliseconds. */
  readonly timeMs: number;
  /** Values of the rules' event paths, in the order of the retro evaluator's path list. */
  readonly fields: readonly unknown[];
}

/**
 * What `run` remembers of one address it looked up. Bit r of a mask stands for rule r (in
 * config order). Times are whole seconds: they stay small integers, which V8 keeps inside the
 * object rather than as a boxed number each; and one event shared by every rule is kept once.
 * Measured by `npm run bench:retro`: 910 bytes an address with millisecond times, per-rule
 * arrays and a `matched` array of booleans; about 400 like this.
 */
export interface SeenAddress {
  readonly ip: string;
  /** Event times (epoch seconds) of the earliest and latest event from the address. */
  firstSeenSecs: number;
  lastSeenSecs: number;
  /** Events from the address since it was first remembered. */
  count: number;
  /** Clock time (epoch seconds) of the last batch that saw the address: what lookback and recency go by. */
  touchedSecs: number;
  /** Rules whose kind and event conditions some remembered event met. */
  eventMask: number;
  /** Rules that matched an event of the address with the answer given at the time (or a retro-alert since). */
  matchedMask: number;
  /**
   * Per rule of `eventMask`, the latest event that met its event conditions: one event when it
   * is the same for all of them (the common case), else one slot per rule.
   */
  events: RememberedEvent | readonly (RememberedEvent | undefined)[];
}

/** The events of an address none of whose events met any rule's event conditions. */
export const NO_EVENTS: readonly (RememberedEvent | undefined)[] = Object.freeze([]);

/** The remembered event for rule `r`, if any event met its event conditions. */
export function eventFor(seen: Pick<SeenAddress, 'eventMask' | 'events'>, r: number): RememberedEvent | undefined {
  if ((seen.eventMask & (1 << r)) === 0) return undefined;
  return isList(seen.events) ? seen.events[r] : seen.events;
}

function isList(events: SeenAddress['events']): events is readonly (RememberedEvent | undefined)[] {
  return Array.isArray(events);
}

export type ForgetReason = 'capacity' | 'expired';

export interface SeenAddressesOptions {
  maxAddresses: number;
  lookbackSecs: number;
  /** How many rules there are: the length of a per-rule event list. */
  rules: number;
  /** Epoch milliseconds. */
  clock: () => number;
  /** Called once per address forgotten, with why. */
  onForget?: (reason: ForgetReason) => void;
}

/**
 * The addresses seen in the last `lookbackSecs`, at most `maxAddresses` of them. A Map keeps
 * insertion order, and an address seen again is moved to the end, so the first key is always
 * the least recently seen one: dropping it is the eviction, and expiry only ever trims the
 * front. Both are O(1) per address.
 */
export class SeenAddresses {
  private readonly byIp = new Map<string, SeenAddress>();
  private readonly maxAddresses: number;
  private readonly lookbackSecs: number;
  private readonly rules: number;
  private readonly clock: () => number;
  private readonly onForget: (reason: ForgetReason) => void;

  constructor(options: SeenAddressesOptions) {
    this.maxAddresses = options.maxAddresses;
    this.lookbackSecs = options.lookbackSecs;
    this.rules = options.rules;
    this.clock = options.clock;
    this.onForget = options.onForget ?? (() => undefined);
  }

  get size(): number {
    return this.byIp.size;
  }

  /**
   * Merges one batch's observation of an address (its `touchedSecs` is set here) and makes the
   * address the most recently seen. A new address keeps the object it is given.
   */
  record(o: SeenAddress): void {
    const now = Math.floor(this.clock() / 1000);
    const known = this.byIp.get(o.ip);
    if (known === undefined) {
      o.touchedSecs = now;
      this.byIp.set(o.ip, o);
      this.trimToCapacity();
      return;
    }
    this.byIp.delete(o.ip);
    known.firstSeenSecs = Math.min(known.firstSeenSecs, o.firstSeenSecs);
    known.lastSeenSecs = Math.max(known.lastSeenSecs, o.lastSeenSecs);
    known.count += o.count;
    known.touchedSecs = now;
    known.matchedMask |= o.matchedMask;
    known.events = this.mergeEvents(known, o);
    known.eventMask |= o.eventMask;
    this.byIp.set(o.ip, known);
  }

  /** Forgets every address not seen within the lookback; returns how many. */
  expire(): number {
    const cutoff = Math.floor(this.clock() / 1000) - this.lookbackSecs;
    let expired = 0;
    for (const [ip, seen] of this.byIp) {
      if (seen.touchedSecs >= cutoff) break;
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

  /** The newer observation's event for each of its rules, the known one for the others. */
  private mergeEvents(known: SeenAddress, o: SeenAddress): SeenAddress['events'] {
    if ((known.eventMask & ~o.eventMask) === 0) return o.events;
    if (o.eventMask === 0) return known.events;
    const merged: (RememberedEvent | undefined)[] = [];
    let single: RememberedEvent | undefined;
    let same = true;
    for (let r = 0; r < this.rules; r++) {
      const event = eventFor(o, r) ?? eventFor(known, r);
      merged.push(event);
      if (event === undefined) continue;
      if (single === undefined) single = event;
      else if (single !== event) same = false;
    }
    return same && single !== undefined ? single : merged;
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
