import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_RULES, alertsSchema } from '../../../src/alerts/rules-schema.js';

// Wrapped as the full config wraps it, so issue paths read as an operator sees them.
const configSchema = z.strictObject({ alerts: alertsSchema });

function problems(alerts: unknown): Map<string, string> {
  const result = configSchema.safeParse({ alerts });
  if (result.success) throw new Error('expected the config to be refused');
  const byPath = new Map<string, string>();
  for (const issue of result.error.issues) {
    const path = issue.path.map(String).join('.');
    byPath.set(path, byPath.has(path) ? `${byPath.get(path) ?? ''} | ${issue.message}` : issue.message);
  }
  return byPath;
}

const rule = (when: unknown[], extra: Record<string, unknown> = {}) => ({ id: 'r', severity: 'low', summary: 'x', when, ...extra });

describe('alerts config section', () => {
  it('fills every default, the three default rules included, when the section is omitted', () => {
    const parsed = configSchema.parse({});
    expect(parsed.alerts).toEqual({
      enabled: true,
      suppression_window_secs: 300,
      max_tracked_keys: 100_000,
      rules: DEFAULT_RULES,
      retro: { enabled: false, lookback_secs: 3600, max_addresses: 250_000 },
    });
    expect(parsed.alerts.rules.map((r) => [r.id, r.severity])).toEqual([
      ['high-threat-score', 'high'],
      ['auth-failure-from-anonymous-ip', 'medium'],
      ['tor-exit-auth', 'high'],
    ]);
  });

  it('hands out a copy of the default rules that can be changed without touching the defaults', () => {
    const parsed = configSchema.parse({ alerts: {} });
    parsed.alerts.rules[0]!.id = 'changed';
    expect(DEFAULT_RULES[0]!.id).toBe('high-threat-score');
    expect(Object.isFrozen(DEFAULT_RULES[0]!.when[0])).toBe(true);
  });

  it('accepts the default rules written out in YAML form', () => {
    const parsed = alertsSchema.parse({ rules: DEFAULT_RULES });
    expect(parsed.rules).toEqual(DEFAULT_RULES);
  });

  it('replaces the defaults with the configured rules and defaults kinds to both', () => {
    const parsed = alertsSchema.parse({
      rules: [{ id: 'bots', severity: 'low', summary: 'bot {ip}', when: [{ field: 'security.is_bot', eq: true }] }],
    });
    expect(parsed.rules).toEqual([
      { id: 'bots', severity: 'low', summary: 'bot {ip}', kinds: ['access', 'auth'], when: [{ field: 'security.is_bot', eq: true }] },
    ]);
  });

  it('accepts each operator on each field namespace it applies to', () => {
    const parsed = alertsSchema.safeParse({
      rules: [
        rule([
          { field: 'security.threat_score', gte: 10 },
          { field: 'security.vpn_confidence_score', lte: 90 },
          { field: 'security.vpn_provider_names', eq: 'NordVPN' },
          { field: 'security.cloud_provider_name', in: ['AWS', 'Azure'] },
          { field: 'event.http.response.status_code', gte: 500 },
          { field: 'event.user', exists: true },
          { field: 'event.labels.k8s.pod', eq: 'api-1' },
          { field: 'kind', in: ['auth'] },
          { field: 'ip', eq: '203.0.113.9' },
          { field: 'enrichment.source', in: ['index', 'remote'] },
        ]),
      ],
    });
    expect(parsed.error?.issues).toBeUndefined();
  });

  it('lists every problem of a config at once, each with its path', () => {
    const found = problems({
      suppression_window_secs: -1,
      rules: [
        rule([{ field: 'security.threat_score', gt: 80 }], { id: 'a' }),
        rule([{ field: 'security.is_tor', gte: 1 }], { id: 'b' }),
        rule([{ field: 'security.is_vpm', eq: true }], { id: 'c' }),
        rule([{ field: 'event.status', eq: 500, gte: 500 }], { id: 'd' }),
        rule([{ field: 'ip', eq: '1.2.3.4' }], { id: 'e', summary: 'from {ip} score {security.score} by {user}' }),
        rule([{ field: 'kind', eq: 'login' }], { id: 'a', severity: 'urgent' }),
      ],
    });
    expect([...found.keys()].sort()).toEqual(
      [
        'alerts.suppression_window_secs',
        'alerts.rules.0.when.0',
        'alerts.rules.1.when.0.gte',
        'alerts.rules.2.when.0.field',
        'alerts.rules.3.when.0.gte',
        'alerts.rules.4.summary',
        'alerts.rules.5.severity',
        'alerts.rules.5.when.0.eq',
      ].sort(),
    );
    expect(found.get('alerts.rules.0.when.0')).toContain("'gt'");
    expect(found.get('alerts.rules.1.when.0.gte')).toContain('security.is_tor is a boolean');
    expect(found.get('alerts.rules.2.when.0.field')).toContain("unknown security field 'is_vpm'");
    expect(found.get('alerts.rules.3.when.0.gte')).toContain('eq and gte');
    expect(found.get('alerts.rules.4.summary')).toContain('{security.score}');
    expect(found.get('alerts.rules.4.summary')).toContain('{user}');
    expect(found.get('alerts.rules.5.when.0.eq')).toContain('access | auth');
  });

  it('refuses duplicate rule ids, naming both positions', () => {
    const found = problems({
      rules: [rule([{ field: 'event.x', exists: true }], { id: 'dup' }), rule([{ field: 'event.y', exists: true }], { id: 'dup' })],
    });
    expect(found.get('alerts.rules.1.id')).toBe("duplicate rule id 'dup' (also at rules.0)");
  });

  it('refuses a condition without an operator and one whose values do not fit the field', () => {
    const found = problems({
      rules: [
        rule([
          { field: 'event.user' },
          { field: 'security.threat_score', eq: 'high' },
          { field: 'security.is_vpn', in: [true, 'yes'] },
          { field: 'security.is_tor', exists: true },
          { field: 'enrichment.source', eq: 'cache' },
          { field: 'event', eq: 1 },
          { field: 'event.a..b', eq: 1 },
          { field: 'ip', lte: 3 },
        ]),
      ],
    });
    expect([...found.keys()].sort()).toEqual(
      [
        'alerts.rules.0.when.0',
        'alerts.rules.0.when.1.eq',
        'alerts.rules.0.when.2.in.1',
        'alerts.rules.0.when.3.exists',
        'alerts.rules.0.when.5.field',
        'alerts.rules.0.when.6.field',
        'alerts.rules.0.when.7.lte',
      ].sort(),
    );
    expect(found.get('alerts.rules.0.when.0')).toContain('needs one operator');
  });

  it('refuses unknown keys in the section and in a rule, and a rule without conditions', () => {
    const found = problems({
      enable: true,
      rules: [{ id: 'x', severity: 'low', summary: 'x', when: [], note: 'hi' }],
    });
    expect([...found.keys()].sort()).toEqual(['alerts', 'alerts.rules.0', 'alerts.rules.0.when'].sort());
    expect(found.get('alerts')).toContain('enable');
    expect(found.get('alerts.rules.0')).toContain('note');
  });

  it('refuses a summary with an unclosed brace', () => {
    const found = problems({ rules: [rule([{ field: 'ip', eq: '1.2.3.4' }], { summary: 'open {ip' })] });
    expect(found.get('alerts.rules.0.summary')).toContain("unclosed '{'");
  });

  it('refuses a non-integer window and a zero key bound', () => {
    const found = problems({ suppression_window_secs: 1.5, max_tracked_keys: 0 });
    expect([...found.keys()].sort()).toEqual(['alerts.max_tracked_keys', 'alerts.suppression_window_secs']);
  });
});
