import { describe, expect, it } from 'vitest';
import { retroAlertId } from '../../../src/alerts/alert-id.js';
import { RetroAlerts } from '../../../src/alerts/retro.js';
import type { RetroStats } from '../../../src/alerts/retro.js';
import { eventFor } from '../../../src/alerts/retro-memory.js';
import type { AlertsConfigInput } from '../../../src/alerts/rules-schema.js';
import { alertsSchema } from '../../../src/alerts/rules-schema.js';
import { DEFAULT_IP_FIELDS } from '../../../src/config/schema.js';
import { Enricher } from '../../../src/enrich/enricher.js';
import { buildIndex } from '../../../src/range-index/build.js';
import { CompiledRangeIndex } from '../../../src/range-index/range-index.js';
import type { Signals } from '../../../src/security/record.js';
import { sourceOf } from '../../helpers/build-index.js';

const T0 = Date.UTC(2026, 2, 2, 11, 0, 0);
const extraction = { ip_fields: [...DEFAULT_IP_FIELDS], xff_field: 'x_forwarded_for', trusted_proxies: [] };

const A = '5.45.96.10';
const B = '5.45.96.20';
const C = '8.8.4.4';

function indexVersion(version: string, rows: readonly (readonly [string, Signals])[]): CompiledRangeIndex {
  return new CompiledRangeIndex(buildIndex([sourceOf(version, rows)], { builtAt: new Date(T0), version }));
}

function retro(config: AlertsConfigInput = {}): RetroAlerts {
  const alerts = alertsSchema.parse({ ...config, retro: { enabled: true, lookback_secs: 3600, max_addresses: 1000 } });
  return new RetroAlerts(alerts.rules, alerts.retro, { clock: () => T0 });
}

interface AuthEvent {
  ip: string;
  outcome: 'success' | 'failure';
  action?: string;
  user?: string;
  /** Seconds after T0. */
  at: number;
}

/** Enriches auth events against `index` as `run` does, then hands the batch to the memory. */
async function observe(memory: RetroAlerts, index: CompiledRangeIndex, events: readonly AuthEvent[], firstOffset = 0, kind: 'auth' | 'access' = 'auth'): Promise<void> {
  const raw = events.map((e) => ({
    timestamp: new Date(T0 + e.at * 1000).toISOString(),
    ip: e.ip,
    user: e.user ?? 'alice',
    action: e.action ?? 'login',
    outcome: e.outcome,
  }));
  const enriched = await new Enricher({ index: { current: index }, extraction }).enrich(raw, raw.map(() => kind));
  memory.observe(
    { topic: 'auth-events', partition: 3 },
    enriched,
    raw.map((e) => Date.parse(e.timestamp)),
    raw.map((_, i) => String(firstOffset + i)),
  );
}

const TOR: Signals = { is_tor: true };
const CLOUD: Signals = { is_cloud_provider: true, cloud_provider_name: 'Example Cloud' };

// v1 knows A only as a cloud address and B as a Tor exit; v2 also lists A as a Tor exit.
const v1 = indexVersion('v1', [
  [`${A}/32`, CLOUD],
  [`${B}/32`, TOR],
]);
const v2 = indexVersion('v2', [
  [`${A}/32`, { ...CLOUD, ...TOR }],
  [`${B}/32`, TOR],
]);

describe('RetroAlerts', () => {
  it('gives one alert for a rule an address newly matches, with the new answer and a summary naming first and last seen and the count', async () => {
    const memory = retro();
    await observe(memory, v1, [
      { ip: A, outcome: 'success', at: 0 },
      { ip: A, outcome: 'success', action: 'logout', at: 90 },
    ]);
    await observe(memory, v1, [{ ip: A, outcome: 'success', action: 'mfa', at: 30 }], 2);
    const alerts = memory.evaluate(v2);
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert).toMatchObject({
      alert_id: retroAlertId('tor-exit-auth', A, 'v2'),
      rule: 'retro:tor-exit-auth',
      severity: 'high',
      ip: A,
      event_kind: 'auth',
      suppressed_count: 0,
      // The latest event that met the rule's event side: the one read last (offset 2, at 30 s).
      source: { topic: 'auth-events', partition: 3, offset: '2' },
      event_time: T0 + 30_000,
    });
    expect(alert?.security).toMatchObject({ is_tor: true, is_anonymous: true, is_cloud_provider: true });
    expect(alert?.threat_score).toBe(alert?.security.threat_score);
    expect(alert?.summary).toBe(
      `Auth event (mfa, success) from Tor exit ${A} (retro, index v2: 3 events from ${A}, first seen 2026-03-02T11:00:00.000Z, last seen 2026-03-02T11:01:30.000Z)`,
    );
  });

  it('gives none for an address whose verdict did not change, nor for one the new index has no answer for', async () => {
    const memory = retro();
    await observe(memory, v1, [
      { ip: B, outcome: 'success', at: 0 },
      { ip: C, outcome: 'failure', at: 1 },
    ]);
    expect(memory.evaluate(v2)).toEqual([]);
  });

  it('gives none for a rule that no longer matches after the swap', async () => {
    const memory = retro();
    await observe(memory, v2, [{ ip: A, outcome: 'success', at: 0 }]);
    expect(memory.evaluate(v1)).toEqual([]);
  });

  it('gives one alert per rule when two rules newly match, each rendered against the event that met it', async () => {
    const memory = retro();
    await observe(memory, v1, [
      { ip: A, outcome: 'failure', action: 'password_reset', user: 'bob', at: 0 },
      { ip: A, outcome: 'success', action: 'login', user: 'carol', at: 5 },
    ]);
    const alerts = memory.evaluate(v2);
    expect(alerts.map((a) => a.rule).sort()).toEqual(['retro:auth-failure-from-anonymous-ip', 'retro:tor-exit-auth']);
    const failure = alerts.find((a) => a.rule === 'retro:auth-failure-from-anonymous-ip');
    expect(failure?.severity).toBe('medium');
    expect(failure?.summary.startsWith(`Failed password_reset for bob from anonymous IP ${A} (retro, index v2: 2 events`)).toBe(true);
    expect(failure?.source.offset).toBe('0');
    const tor = alerts.find((a) => a.rule === 'retro:tor-exit-auth');
    expect(tor?.summary.startsWith(`Auth event (login, success) from Tor exit ${A}`)).toBe(true);
    expect(new Set(alerts.map((a) => a.alert_id)).size).toBe(2);
  });

  it('needs a remembered event that meets the rule on the event side: access events never make an auth-only rule fire', async () => {
    const memory = retro();
    await observe(memory, v1, [{ ip: A, outcome: 'success', at: 0 }], 0, 'access');
    expect(memory.evaluate(v2)).toEqual([]);
  });

  it('fires once per address and rule: a second swap to an index with the same verdict gives nothing', async () => {
    const memory = retro();
    await observe(memory, v1, [{ ip: A, outcome: 'success', at: 0 }]);
    expect(memory.evaluate(v2)).toHaveLength(1);
    expect(memory.evaluate(v2)).toEqual([]);
  });

  it('makes the same alert id after a restart that sees the same events and swaps to the same index', async () => {
    const ids = async (): Promise<string[]> => {
      const memory = retro();
      await observe(memory, v1, [{ ip: A, outcome: 'success', at: 0 }]);
      return memory.evaluate(v2).map((a) => a.alert_id);
    };
    const first = await ids();
    expect(first).toHaveLength(1);
    expect(await ids()).toEqual(first);
  });

  it('remembers only public addresses that were looked up, with the count of their events', async () => {
    const memory = retro();
    await observe(memory, v1, [
      { ip: '10.0.0.1', outcome: 'failure', at: 0 },
      { ip: 'not-an-ip', outcome: 'failure', at: 0 },
      { ip: A, outcome: 'success', at: 0 },
      { ip: A, outcome: 'success', at: 1 },
    ]);
    expect(memory.size).toBe(1);
    expect(memory.seen(A)?.count).toBe(2);
  });

  it('evaluates rules on event fields against copies of those fields only, cut to a bounded length', async () => {
    const memory = retro({
      rules: [{ id: 'long-user', severity: 'low', summary: 'user {event.user}', kinds: ['auth'], when: [{ field: 'security.is_tor', eq: true }, { field: 'event.user', exists: true }] }],
    });
    await observe(memory, v1, [{ ip: A, outcome: 'success', user: 'x'.repeat(10_000), at: 0 }]);
    const seen = memory.seen(A);
    expect(seen && eventFor(seen, 0)?.fields).toEqual(['x'.repeat(256)]);
    const [alert] = memory.evaluate(v2);
    expect(alert?.rule).toBe('retro:long-user');
  });

  it('is refused at start with more rules than a 32-bit mask holds, naming the field', () => {
    const rules = Array.from({ length: 33 }, (_, i) => ({ id: `r${i}`, severity: 'low' as const, summary: 'x', when: [{ field: 'security.is_tor', eq: true }] }));
    const parsed = alertsSchema.safeParse({ rules, retro: { enabled: true } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['retro.enabled', 'retro-alerts follow at most 32 rules; alerts.rules has 33']]);
    expect(alertsSchema.safeParse({ rules, retro: { enabled: false } }).success).toBe(true);
  });

  it('reports its size and what it forgot, by reason, after each batch and each evaluation', async () => {
    let now = T0;
    const stats: RetroStats[] = [];
    const alerts = alertsSchema.parse({ retro: { enabled: true, lookback_secs: 60, max_addresses: 2 } });
    const memory = new RetroAlerts(alerts.rules, alerts.retro, { clock: () => now, onStats: (s) => stats.push(s) });
    await observe(memory, v1, [
      { ip: A, outcome: 'success', at: 0 },
      { ip: B, outcome: 'success', at: 1 },
      { ip: C, outcome: 'success', at: 2 },
    ]);
    expect(stats).toEqual([{ remembered: 2, evictedCapacity: 1, expired: 0 }]);
    expect(memory.seen(A)).toBeUndefined();
    now += 61_000;
    expect(memory.evaluate(v2)).toEqual([]);
    expect(stats.at(-1)).toEqual({ remembered: 0, evictedCapacity: 0, expired: 2 });
  });
});
