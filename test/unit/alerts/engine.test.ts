import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AlertEngine } from '../../../src/alerts/engine.js';
import type { AlertsConfigInput } from '../../../src/alerts/rules-schema.js';
import { alertsSchema } from '../../../src/alerts/rules-schema.js';
import { SECURITY_FIELDS } from '../../../src/security/record.js';
import type { InputOptions } from './make-input.js';
import { makeInput } from './make-input.js';

const MINUTE = 60_000;

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function engine(config: AlertsConfigInput = {}, clock = manualClock()) {
  return new AlertEngine(alertsSchema.parse(config), { clock: clock.now });
}

const TOR: InputOptions['signals'] = [{ is_tor: true }];
// Seed 2.56.188.34: proxy + residential + vpn + known attacker + cloud scores 80.
const HIGH: InputOptions['signals'] = [
  { is_proxy: true, is_residential_proxy: true, is_vpn: true, is_known_attacker: true, is_cloud_provider: true },
];
// Seed 2.56.188.35: known attacker + cloud scores 35.
const ATTACKER_ON_CLOUD: InputOptions['signals'] = [{ is_known_attacker: true, is_cloud_provider: true }];

const rulesOf = (alerts: { rule: string }[]) => alerts.map((a) => a.rule);

describe('default rules', () => {
  it('high-threat-score fires at a score of 80 on access and auth events, not at 35', () => {
    const e = engine();
    expect(rulesOf(e.evaluate(makeInput({ kind: 'access', signals: HIGH, ip: '2.56.188.34' })))).toContain('high-threat-score');
    expect(rulesOf(engine().evaluate(makeInput({ kind: 'auth', signals: HIGH, ip: '2.56.188.34', event: { outcome: 'success' } })))).toContain(
      'high-threat-score',
    );
    expect(e.evaluate(makeInput({ kind: 'access', signals: ATTACKER_ON_CLOUD, ip: '2.56.188.35' }))).toEqual([]);
  });

  it('high-threat-score reads a score a source supplied', () => {
    const e = engine();
    expect(rulesOf(e.evaluate(makeInput({ kind: 'access', signals: [{ threat_score: 79 }], ip: '192.0.2.1' })))).toEqual([]);
    expect(rulesOf(e.evaluate(makeInput({ kind: 'access', signals: [{ threat_score: 92 }], ip: '192.0.2.2' })))).toEqual([
      'high-threat-score',
    ]);
  });

  it('auth-failure-from-anonymous-ip fires on a failed login from a VPN and names the action and user', () => {
    const alerts = engine().evaluate(
      makeInput({ kind: 'auth', ip: '203.0.113.50', signals: [{ is_vpn: true }], event: { action: 'login', user: 'alice', outcome: 'failure' } }),
    );
    expect(alerts.map((a) => [a.rule, a.severity, a.summary])).toEqual([
      ['auth-failure-from-anonymous-ip', 'medium', 'Failed login for alice from anonymous IP 203.0.113.50'],
    ]);
  });

  it('auth-failure-from-anonymous-ip stays quiet on success, on a non-anonymous IP and on access events', () => {
    const e = engine();
    const failure = { action: 'login', user: 'alice', outcome: 'failure' };
    expect(e.evaluate(makeInput({ kind: 'auth', signals: [{ is_vpn: true }], event: { ...failure, outcome: 'success' } }))).toEqual([]);
    expect(e.evaluate(makeInput({ kind: 'auth', signals: ATTACKER_ON_CLOUD, event: failure }))).toEqual([]);
    expect(e.evaluate(makeInput({ kind: 'access', signals: [{ is_vpn: true }], event: failure }))).toEqual([]);
  });

  it('tor-exit-auth fires on any auth event from a Tor exit, whatever the outcome, but not on access events', () => {
    const e = engine();
    const success = e.evaluate(makeInput({ kind: 'auth', ip: '185.220.101.1', signals: TOR, event: { action: 'token', outcome: 'success' } }));
    expect(success.map((a) => [a.rule, a.severity, a.summary])).toEqual([
      ['tor-exit-auth', 'high', 'Auth event (token, success) from Tor exit 185.220.101.1'],
    ]);
    const failure = e.evaluate(makeInput({ kind: 'auth', ip: '185.220.101.2', signals: TOR, event: { action: 'login', user: 'eve', outcome: 'failure' } }));
    expect(rulesOf(failure)).toEqual(['auth-failure-from-anonymous-ip', 'tor-exit-auth']);
    expect(e.evaluate(makeInput({ kind: 'access', ip: '185.220.101.3', signals: TOR }))).toEqual([]);
  });

  it('no rule fires when alerts are disabled', () => {
    const e = engine({ enabled: false });
    expect(e.evaluate(makeInput({ kind: 'auth', signals: TOR }))).toEqual([]);
    expect(e.counters().map((c) => c.emitted)).toEqual([0, 0, 0]);
  });
});

describe('alert record', () => {
  it('carries the fields in the documented order with a copy of the full security record', () => {
    const input = makeInput({
      kind: 'auth',
      ip: '185.220.101.1',
      signals: TOR,
      event: { action: 'login', outcome: 'success' },
      eventTimeMs: 1_767_225_600_000,
      topic: 'auth-events',
      partition: 3,
      offset: '42',
    });
    const [alert] = engine().evaluate(input);
    expect(alert).toBeDefined();
    expect(Object.keys(alert!)).toEqual([
      'alert_id', 'rule', 'severity', 'summary', 'ip', 'threat_score', 'event_kind', 'event_time', 'source', 'security', 'suppressed_count',
    ]);
    expect(alert).toMatchObject({
      rule: 'tor-exit-auth',
      ip: '185.220.101.1',
      threat_score: input.security.threat_score,
      event_kind: 'auth',
      event_time: 1_767_225_600_000,
      source: { topic: 'auth-events', partition: 3, offset: '42' },
      suppressed_count: 0,
    });
    expect(alert!.security).toEqual(input.security);
    expect(alert!.security).not.toBe(input.security);
    expect(Object.keys(alert!.security)).toEqual(SECURITY_FIELDS);
  });

  it('alert_id is the first 32 hex chars of sha256 over topic, partition, offset and rule', () => {
    const [alert] = engine().evaluate(makeInput({ kind: 'auth', signals: TOR, topic: 'auth-events', partition: 3, offset: '42' }));
    // Computed outside iprisk: python3 hashlib.sha256(b'auth-events\0' b'3\0' b'42\0' b'tor-exit-auth').hexdigest()[:32]
    expect(alert!.alert_id).toBe('dccc3a4553ecf8a1609d5b0f4a1d50ab');
    const expected = createHash('sha256').update('auth-events\u00003\u000042\u0000tor-exit-auth').digest('hex').slice(0, 32);
    expect(alert!.alert_id).toBe(expected);
  });

  it('alert_id is the same for the same event in another engine, and differs per offset and per rule', () => {
    const input = makeInput({ kind: 'auth', ip: '185.220.101.9', signals: TOR, event: { outcome: 'failure' }, offset: '7' });
    const first = engine().evaluate(input);
    const replay = engine().evaluate(input);
    expect(first.map((a) => a.alert_id)).toEqual(replay.map((a) => a.alert_id));
    expect(new Set(first.map((a) => a.alert_id)).size).toBe(first.length);
    const next = engine().evaluate({ ...input, source: { ...input.source, offset: '8' } });
    expect(next[0]!.alert_id).not.toBe(first[0]!.alert_id);
    const otherPartition = engine().evaluate({ ...input, source: { ...input.source, partition: 1 } });
    expect(otherPartition[0]!.alert_id).not.toBe(first[0]!.alert_id);
  });
});

describe('suppression', () => {
  const torAuth = (ip: string, offset: number, eventTimeMs: number | null = null) =>
    makeInput({ kind: 'auth', ip, signals: TOR, event: { outcome: 'success' }, offset, eventTimeMs });

  it('emits the first match, counts repeats inside the window and carries the count into the next alert', () => {
    const clock = manualClock();
    const e = engine({}, clock);
    expect(e.evaluate(torAuth('185.220.101.1', 1))).toHaveLength(1);
    clock.advance(1 * MINUTE);
    expect(e.evaluate(torAuth('185.220.101.1', 2))).toEqual([]);
    clock.advance(3 * MINUTE);
    expect(e.evaluate(torAuth('185.220.101.1', 3))).toEqual([]);
    clock.advance(MINUTE - 1);
    expect(e.evaluate(torAuth('185.220.101.1', 4))).toEqual([]);
    clock.advance(1);
    const [after] = e.evaluate(torAuth('185.220.101.1', 5));
    expect(after?.suppressed_count).toBe(3);
    clock.advance(5 * MINUTE);
    expect(e.evaluate(torAuth('185.220.101.1', 6))[0]?.suppressed_count).toBe(0);
    expect(e.counters().find((c) => c.rule === 'tor-exit-auth')).toEqual({ rule: 'tor-exit-auth', severity: 'high', emitted: 3, suppressed: 3 });
  });

  it('emits again, with the same id and count, for the redelivered event that opened the window', () => {
    // A batch that failed after its alerts were built is delivered again: its first alert may
    // never have reached the broker, so suppressing the retry would lose it.
    const clock = manualClock();
    const e = engine({}, clock);
    const [first] = e.evaluate(torAuth('185.220.101.1', 1));
    expect(e.evaluate(torAuth('185.220.101.1', 2))).toEqual([]);
    clock.advance(MINUTE);
    const [again] = e.evaluate(torAuth('185.220.101.1', 1));
    expect(again).toEqual(first);
    expect(e.evaluate(torAuth('185.220.101.1', 2))).toEqual([]);
    clock.advance(5 * MINUTE);
    const [next] = e.evaluate(torAuth('185.220.101.1', 7));
    expect(next?.suppressed_count).toBe(2);
    // Once a later event has opened a new window, the old one is an ordinary repeat again.
    expect(e.evaluate(torAuth('185.220.101.1', 1))).toEqual([]);
    expect(e.evaluate(torAuth('185.220.101.1', 7))).toEqual([next]);
  });

  it('measures the window on event times when events carry them, not on the clock', () => {
    const clock = manualClock();
    const e = engine({ suppression_window_secs: 60 }, clock);
    const t0 = Date.UTC(2025, 5, 1, 12, 0, 0);
    expect(e.evaluate(torAuth('185.220.101.1', 1, t0))).toHaveLength(1);
    expect(e.evaluate(torAuth('185.220.101.1', 2, t0 + 30_000))).toEqual([]);
    expect(e.evaluate(torAuth('185.220.101.1', 3, t0 + 59_999))).toEqual([]);
    const [next] = e.evaluate(torAuth('185.220.101.1', 4, t0 + 60_000));
    expect(next?.suppressed_count).toBe(2);
    expect(next?.event_time).toBe(t0 + 60_000);
  });

  it('starts a new window for an event a whole window away in either direction', () => {
    const e = engine({ suppression_window_secs: 60 });
    const t0 = Date.UTC(2025, 5, 1, 12, 0, 0);
    expect(e.evaluate(torAuth('185.220.101.1', 1, t0))).toHaveLength(1);
    expect(e.evaluate(torAuth('185.220.101.1', 2, t0 - 10_000))).toEqual([]);
    expect(e.evaluate(torAuth('185.220.101.1', 3, t0 - 3_600_000))[0]?.suppressed_count).toBe(1);
  });

  it('keeps separate windows per ip', () => {
    const e = engine();
    expect(e.evaluate(torAuth('185.220.101.1', 1))).toHaveLength(1);
    expect(e.evaluate(torAuth('185.220.101.2', 2))).toHaveLength(1);
    expect(e.evaluate(torAuth('185.220.101.1', 3))).toEqual([]);
    expect(e.evaluate(torAuth('185.220.101.2', 4))).toEqual([]);
    expect(e.evaluate(torAuth('185.220.101.3', 5))).toHaveLength(1);
  });

  it('keeps separate windows per rule for one ip', () => {
    const clock = manualClock();
    const e = engine({}, clock);
    const failure = (offset: number) =>
      makeInput({ kind: 'auth', ip: '185.220.101.1', signals: TOR, event: { outcome: 'failure', action: 'login' }, offset });
    expect(rulesOf(e.evaluate(torAuth('185.220.101.1', 1)))).toEqual(['tor-exit-auth']);
    expect(rulesOf(e.evaluate(failure(2)))).toEqual(['auth-failure-from-anonymous-ip']);
    expect(rulesOf(e.evaluate(failure(3)))).toEqual([]);
    clock.advance(5 * MINUTE);
    const alerts = e.evaluate(failure(4));
    expect(alerts.map((a) => [a.rule, a.suppressed_count])).toEqual([
      ['auth-failure-from-anonymous-ip', 1],
      ['tor-exit-auth', 2],
    ]);
  });

  it('emits every match when the window is 0', () => {
    const e = engine({ suppression_window_secs: 0 });
    for (let i = 0; i < 3; i++) expect(e.evaluate(torAuth('185.220.101.1', i))[0]?.suppressed_count).toBe(0);
    expect(e.trackedKeys).toBe(0);
  });

  it('remembers at most max_tracked_keys keys, forgetting the least recently matched', () => {
    const e = engine({ max_tracked_keys: 3 });
    for (const [i, ip] of ['10.0.0.1', '10.0.0.2', '10.0.0.3'].entries()) expect(e.evaluate(torAuth(ip, i))).toHaveLength(1);
    // Touching .1 makes .2 the least recently used; a fourth ip evicts it.
    expect(e.evaluate(torAuth('10.0.0.1', 10))).toEqual([]);
    expect(e.evaluate(torAuth('10.0.0.4', 11))).toHaveLength(1);
    expect(e.trackedKeys).toBe(3);
    expect(e.evaluate(torAuth('10.0.0.1', 12))).toEqual([]);
    expect(e.evaluate(torAuth('10.0.0.3', 13))).toEqual([]);
    // .2 was forgotten, so it alerts again inside its window, with nothing carried.
    expect(e.evaluate(torAuth('10.0.0.2', 14))[0]?.suppressed_count).toBe(0);
    for (let i = 0; i < 100; i++) e.evaluate(torAuth(`10.0.1.${i}`, 100 + i));
    expect(e.trackedKeys).toBe(3);
  });
});
