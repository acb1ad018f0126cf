import { describe, expect, it } from 'vitest';
import type { ForgetReason, RememberedEvent, SeenAddress } from '../../../src/alerts/retro-memory.js';
import { NO_EVENTS, SeenAddresses, eventFor } from '../../../src/alerts/retro-memory.js';

const SECOND = 1000;
const T0 = Date.UTC(2026, 0, 1);
const T0_SECS = T0 / 1000;

function setup(maxAddresses: number, lookbackSecs = 3600) {
  let now = T0;
  const forgotten: ForgetReason[] = [];
  const memory = new SeenAddresses({
    maxAddresses,
    lookbackSecs,
    rules: 2,
    clock: () => now,
    onForget: (reason) => forgotten.push(reason),
  });
  return {
    memory,
    forgotten,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function event(offset: string, fields: unknown[] = []): RememberedEvent {
  return { kind: 'auth', topic: 'auth-events', partition: 0, offset, timeMs: T0, fields };
}

function seen(ip: string, over: Partial<SeenAddress> = {}): SeenAddress {
  return { ip, firstSeenSecs: T0_SECS, lastSeenSecs: T0_SECS, count: 1, touchedSecs: 0, eventMask: 0, matchedMask: 0, events: NO_EVENTS, ...over };
}

/** Per rule, the remembered event's offset. */
const offsets = (s: SeenAddress | undefined) => [0, 1].map((r) => (s ? eventFor(s, r)?.offset : undefined));

const ips = (memory: SeenAddresses) => memory.current().map((s) => s.ip);

describe('SeenAddresses', () => {
  it('beyond max_addresses forgets the least recently seen address first, counting each as a capacity eviction', () => {
    const { memory, forgotten } = setup(3);
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) memory.record(seen(ip));
    // Seen again: .1 becomes the most recent, so .2 is now the oldest.
    memory.record(seen('192.0.2.1'));
    memory.record(seen('192.0.2.4'));
    expect(ips(memory)).toEqual(['192.0.2.3', '192.0.2.1', '192.0.2.4']);
    expect(forgotten).toEqual(['capacity']);
    memory.record(seen('192.0.2.5'));
    expect(ips(memory)).toEqual(['192.0.2.1', '192.0.2.4', '192.0.2.5']);
    expect(forgotten).toEqual(['capacity', 'capacity']);
    expect(memory.size).toBe(3);
  });

  it('forgets an address once the lookback has passed since the last batch that saw it, and only then', () => {
    const { memory, forgotten, advance } = setup(10, 60);
    memory.record(seen('192.0.2.1'));
    advance(30 * SECOND);
    memory.record(seen('192.0.2.2'));
    advance(20 * SECOND);
    memory.record(seen('192.0.2.1')); // 50 s: seen again, its lookback starts over
    advance(30 * SECOND); // 80 s: .2 was last seen 50 s ago, .1 30 s ago
    expect(memory.expire()).toBe(0);
    advance(11 * SECOND); // 91 s: .2 last seen 61 s ago
    expect(ips(memory)).toEqual(['192.0.2.1']);
    expect(forgotten).toEqual(['expired']);
    advance(20 * SECOND); // 111 s: .1 last seen 61 s ago
    expect(memory.expire()).toBe(1);
    expect(memory.size).toBe(0);
    expect(forgotten).toEqual(['expired', 'expired']);
  });

  it('merges batches of one address: earliest first seen, latest last seen, counts added, per rule the latest event and any match kept', () => {
    const { memory } = setup(10);
    const e1 = event('10', ['failure']);
    const e2 = event('20', ['success']);
    memory.record(seen('192.0.2.1', { firstSeenSecs: T0_SECS + 5, lastSeenSecs: T0_SECS + 9, count: 4, eventMask: 0b01, matchedMask: 0b01, events: e1 }));
    // A later batch carrying an older, late event, and an event meeting only the second rule.
    memory.record(seen('192.0.2.1', { firstSeenSecs: T0_SECS + 2, lastSeenSecs: T0_SECS + 7, count: 3, eventMask: 0b10, events: e2 }));
    const s = memory.get('192.0.2.1');
    expect(s).toMatchObject({ firstSeenSecs: T0_SECS + 2, lastSeenSecs: T0_SECS + 9, count: 7, eventMask: 0b11, matchedMask: 0b01 });
    expect(offsets(s)).toEqual(['10', '20']);
    // One event meeting both rules replaces both, and is then kept once, not per rule.
    const e3 = event('30', ['failure']);
    memory.record(seen('192.0.2.1', { count: 1, eventMask: 0b11, matchedMask: 0b10, events: e3 }));
    expect(memory.get('192.0.2.1')).toMatchObject({ count: 8, eventMask: 0b11, matchedMask: 0b11, events: e3 });
    // A batch whose events met no rule changes the counts only.
    memory.record(seen('192.0.2.1', { count: 2 }));
    expect(memory.get('192.0.2.1')).toMatchObject({ count: 10, events: e3 });
    expect(memory.size).toBe(1);
  });
});
