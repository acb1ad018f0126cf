import { describe, expect, it } from 'vitest';
import { compileEventPath, compileRule, compileSummary } from '../../../src/alerts/compile.js';
import type { RuleConfig, RuleConfigInput } from '../../../src/alerts/rules-schema.js';
import { ruleSchema } from '../../../src/alerts/rules-schema.js';
import { IpriskError } from '../../../src/errors.js';
import { makeInput } from './make-input.js';

function compiled(when: RuleConfigInput['when'], extra: Partial<RuleConfigInput> = {}) {
  return compileRule(ruleSchema.parse({ id: 'r', severity: 'low', summary: 's', when, ...extra }));
}

describe('condition operators', () => {
  it('eq matches the same value of the same type only', () => {
    const rule = compiled([{ field: 'event.status', eq: 503 }]);
    expect(rule.matches(makeInput({ event: { status: 503 } }))).toBe(true);
    expect(rule.matches(makeInput({ event: { status: 500 } }))).toBe(false);
    expect(rule.matches(makeInput({ event: { status: '503' } }))).toBe(false);
    expect(rule.matches(makeInput({ event: {} }))).toBe(false);
  });

  it('eq on a list field matches when the list contains the value', () => {
    const rule = compiled([{ field: 'security.vpn_provider_names', eq: 'Mullvad' }]);
    expect(rule.matches(makeInput({ signals: [{ is_vpn: true, vpn_provider_names: ['NordVPN', 'Mullvad'] }] }))).toBe(true);
    expect(rule.matches(makeInput({ signals: [{ is_vpn: true, vpn_provider_names: ['NordVPN'] }] }))).toBe(false);
  });

  it('in matches any listed value, and on a list field any element', () => {
    const rule = compiled([{ field: 'event.action', in: ['login', 'mfa'] }]);
    expect(rule.matches(makeInput({ event: { action: 'mfa' } }))).toBe(true);
    expect(rule.matches(makeInput({ event: { action: 'logout' } }))).toBe(false);
    expect(rule.matches(makeInput({ event: { action: ['signup', 'login'] } }))).toBe(true);
    expect(rule.matches(makeInput({ event: { action: { name: 'login' } } }))).toBe(false);
  });

  it('gte and lte include their bound and read numeric strings from events', () => {
    const gte = compiled([{ field: 'event.bytes', gte: 1000 }]);
    const lte = compiled([{ field: 'event.bytes', lte: 1000 }]);
    expect([999, 1000, 1001, '1000', ' 2e3 ', 'big', true, null].map((bytes) => gte.matches(makeInput({ event: { bytes } })))).toEqual([
      false, true, true, true, true, false, false, false,
    ]);
    expect([999, 1000, 1001, '999.5', 'small', false].map((bytes) => lte.matches(makeInput({ event: { bytes } })))).toEqual([
      true, true, false, true, false, false,
    ]);
  });

  it('exists tells present values from missing and null ones', () => {
    const present = compiled([{ field: 'event.user', exists: true }]);
    const absent = compiled([{ field: 'event.user', exists: false }]);
    for (const [event, has] of [
      [{ user: 'alice' }, true],
      [{ user: '' }, true],
      [{ user: false }, true],
      [{ user: null }, false],
      [{}, false],
    ] as const) {
      expect(present.matches(makeInput({ event }))).toBe(has);
      expect(absent.matches(makeInput({ event }))).toBe(!has);
    }
  });

  it('all conditions must hold', () => {
    const rule = compiled([
      { field: 'security.is_vpn', eq: true },
      { field: 'event.outcome', eq: 'failure' },
    ]);
    expect(rule.matches(makeInput({ signals: [{ is_vpn: true }], event: { outcome: 'failure' } }))).toBe(true);
    expect(rule.matches(makeInput({ signals: [{ is_vpn: true }], event: { outcome: 'success' } }))).toBe(false);
    expect(rule.matches(makeInput({ signals: [{ is_tor: true }], event: { outcome: 'failure' } }))).toBe(false);
  });

  it('matches on kind, ip and enrichment source', () => {
    const rule = compiled([
      { field: 'kind', eq: 'access' },
      { field: 'ip', in: ['203.0.113.5', '203.0.113.6'] },
      { field: 'enrichment.source', eq: 'remote' },
    ]);
    expect(rule.matches(makeInput({ kind: 'access', ip: '203.0.113.6', enrichmentSource: 'remote' }))).toBe(true);
    expect(rule.matches(makeInput({ kind: 'auth', ip: '203.0.113.6', enrichmentSource: 'remote' }))).toBe(false);
    expect(rule.matches(makeInput({ kind: 'access', ip: '203.0.113.7', enrichmentSource: 'remote' }))).toBe(false);
    expect(rule.matches(makeInput({ kind: 'access', ip: '203.0.113.6', enrichmentSource: 'index' }))).toBe(false);
  });

  it('only looks at the event kinds the rule names', () => {
    const rule = compiled([{ field: 'security.is_tor', eq: true }], { kinds: ['auth'] });
    expect(rule.matches(makeInput({ kind: 'auth', signals: [{ is_tor: true }] }))).toBe(true);
    expect(rule.matches(makeInput({ kind: 'access', signals: [{ is_tor: true }] }))).toBe(false);
  });

  it('refuses to compile a rule that skipped validation, with RULE_INVALID', () => {
    const bad: RuleConfig = { id: 'bad', severity: 'low', summary: 's', kinds: ['auth'], when: [{ field: 'security.nope', eq: true }] };
    expect(() => compileRule(bad)).toThrow(IpriskError);
    expect(() => compileRule(bad)).toThrow(/unknown security field 'nope'/);
    expect(() => compileSummary('r', 'x {who}')).toThrow(/unknown placeholder \{who\}/);
  });
});

describe('event paths', () => {
  it('walk nested objects by dot path', () => {
    const read = compileEventPath(['http', 'response', 'status_code']);
    expect(read({ http: { response: { status_code: 404 } } })).toBe(404);
    expect(read({ http: { response: null } })).toBeUndefined();
    expect(read({ http: 'flat' })).toBeUndefined();
  });

  it('read a literal key that contains dots, at the top or inside a nested object', () => {
    const read = compileEventPath(['event', 'created']);
    expect(read({ 'event.created': 'flat' })).toBe('flat');
    expect(read({ event: { created: 'nested' } })).toBe('nested');
    const pod = compileEventPath(['labels', 'k8s', 'pod']);
    expect(pod({ labels: { 'k8s.pod': 'api-1' } })).toBe('api-1');
  });

  it('fall back to the nested path when the literal key leads nowhere', () => {
    const read = compileEventPath(['a', 'b', 'c']);
    expect(read({ 'a.b': { x: 1 }, a: { b: { c: 'deep' } } })).toBe('deep');
  });

  it('index arrays by position and never read inherited properties', () => {
    expect(compileEventPath(['tags', '1'])({ tags: ['a', 'b'] })).toBe('b');
    expect(compileEventPath(['constructor'])({})).toBeUndefined();
    expect(compileEventPath(['user', 'toString'])({ user: {} })).toBeUndefined();
  });
});

describe('summary templates', () => {
  it('render every namespace into the text', () => {
    const render = compileSummary(
      'r',
      'kind={kind} ip={ip} src={enrichment.source} score={security.threat_score} tor={security.is_tor} user={event.user.name}',
    );
    const text = render(
      makeInput({ kind: 'auth', ip: '192.0.2.1', enrichmentSource: 'cache', signals: [{ is_tor: true }], event: { user: { name: 'bob' } } }),
    );
    expect(text).toBe('kind=auth ip=192.0.2.1 src=cache score=40 tor=true user=bob');
  });

  it('render missing and empty values as a dash, lists joined, objects as JSON, braces escaped', () => {
    const render = compileSummary('r', '{{user}}={event.user} names={security.vpn_provider_names} relay={security.relay_provider_name} ctx={event.ctx}');
    const text = render(makeInput({ signals: [{ is_vpn: true, vpn_provider_names: ['A', 'B'] }], event: { ctx: { a: 1 } } }));
    expect(text).toBe('{user}=- names=A, B relay=- ctx={"a":1}');
  });

  it('cut an overlong event value short', () => {
    const render = compileSummary('r', 'user {event.user}!');
    const text = render(makeInput({ event: { user: 'x'.repeat(10_000) } }));
    expect(text.length).toBeLessThan(300);
    expect(text.endsWith('…!')).toBe(true);
  });
});
