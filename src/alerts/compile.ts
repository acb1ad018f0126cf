import { IpriskError } from '../errors.js';
import type { EventKind, FieldRef } from './fields.js';
import { parseFieldRef } from './fields.js';
import type { ConditionConfig, RuleConfig, Scalar, Severity } from './rules-schema.js';
import { parseTemplate } from './template.js';
import type { AlertInput } from './types.js';

type Getter = (input: AlertInput) => unknown;
type Test = (value: unknown) => boolean;

interface CompiledCondition {
  readonly get: Getter;
  readonly test: Test;
}

/** A rule turned into plain functions once, so matching an event parses nothing. */
export interface CompiledRule {
  readonly id: string;
  readonly severity: Severity;
  readonly kinds: ReadonlySet<EventKind>;
  matches(input: AlertInput): boolean;
  /** The kind and the `event.*` conditions alone: what one event contributes, whatever its answer. */
  matchesEvent(input: AlertInput): boolean;
  /** The conditions on the answer alone (`security.*`, `ip`, `enrichment.source`). */
  matchesAnswer(input: AlertInput): boolean;
  /** The event paths the conditions and the summary read, so a copy of those fields is enough to evaluate and render. */
  readonly eventPaths: readonly (readonly string[])[];
  summary(input: AlertInput): string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

/**
 * Reads an event path. A key may itself contain dots (flattened ECS logs write
 * `"event.created"` as one key), so at each level the longest literal key is tried first,
 * then shorter ones, falling back to nested objects. The joined keys are built here, once.
 */
export function compileEventPath(segments: readonly string[]): (event: unknown) => unknown {
  const n = segments.length;
  const keys: string[][] = [];
  for (let i = 0; i < n; i++) {
    const row: string[] = [];
    for (let j = i + 1; j <= n; j++) row[j] = segments.slice(i, j).join('.');
    keys.push(row);
  }
  const resolve = (node: unknown, i: number): unknown => {
    if (i === n) return node;
    if (!isRecord(node)) return undefined;
    const row = keys[i]!;
    for (let j = n; j > i; j--) {
      const key = row[j]!;
      if (!Object.hasOwn(node, key)) continue;
      const found = resolve(node[key], j);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  if (n === 1) {
    const key = segments[0]!;
    return (event) => (isRecord(event) && Object.hasOwn(event, key) ? event[key] : undefined);
  }
  return (event) => resolve(event, 0);
}

export function compileGetter(ref: FieldRef): Getter {
  switch (ref.ns) {
    case 'security': {
      const field = ref.field;
      return (input) => input.security[field];
    }
    case 'event': {
      const read = compileEventPath(ref.segments);
      return (input) => read(input.event);
    }
    case 'kind':
      return (input) => input.kind;
    case 'ip':
      return (input) => input.ip;
    case 'enrichment.source':
      return (input) => input.enrichmentSource;
  }
}

const NUMERIC = /^\s*-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** Log shippers often write numbers as strings ("status": "503"); gte / lte accept both. */
function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  if (typeof value === 'bigint') return Number(value);
  return null;
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function compileTest(c: ConditionConfig): Test {
  if (c.eq !== undefined) {
    const expected = c.eq;
    return (v) => v === expected || (Array.isArray(v) && v.includes(expected));
  }
  if (c.in !== undefined) {
    const allowed = new Set<Scalar>(c.in);
    return (v) => (isScalar(v) && allowed.has(v)) || (Array.isArray(v) && v.some((x) => isScalar(x) && allowed.has(x)));
  }
  if (c.gte !== undefined) {
    const bound = c.gte;
    return (v) => {
      const n = asNumber(v);
      return n !== null && n >= bound;
    };
  }
  if (c.lte !== undefined) {
    const bound = c.lte;
    return (v) => {
      const n = asNumber(v);
      return n !== null && n <= bound;
    };
  }
  if (c.exists !== undefined) {
    const wanted = c.exists;
    return (v) => (v !== undefined && v !== null) === wanted;
  }
  throw new IpriskError('RULE_INVALID', `condition on '${c.field}' has no operator (eq | in | gte | lte | exists)`);
}

function resolveRef(ruleId: string, text: string): FieldRef {
  const parsed = parseFieldRef(text);
  if (!parsed.ok) throw new IpriskError('RULE_INVALID', `rule '${ruleId}': ${parsed.message}`);
  return parsed.ref;
}

/** Attacker-controlled event fields (a user name) must not blow up a one-line summary. */
const MAX_VALUE_CHARS = 256;

function renderValue(value: unknown): string {
  let text: string;
  if (value === undefined || value === null) text = '';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else if (Array.isArray(value)) text = value.map(renderValue).join(', ');
  else text = JSON.stringify(value);
  if (text === '') return '-';
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

export function compileSummary(ruleId: string, template: string): (input: AlertInput) => string {
  const parsed = parseTemplate(template);
  if (parsed.problems.length > 0) {
    throw new IpriskError('RULE_INVALID', `rule '${ruleId}': ${parsed.problems.join('; ')}`);
  }
  const parts: (string | Getter)[] = parsed.parts.map((p) => (typeof p === 'string' ? p : compileGetter(p)));
  return (input) => {
    let out = '';
    for (const part of parts) out += typeof part === 'string' ? part : renderValue(part(input));
    return out;
  };
}

/** Throws RULE_INVALID for a rule the config schema would have refused. */
export function compileRule(rule: RuleConfig): CompiledRule {
  const refs = rule.when.map((c) => resolveRef(rule.id, c.field));
  const conditions: CompiledCondition[] = rule.when.map((c, i) => ({ get: compileGetter(refs[i]!), test: compileTest(c) }));
  const onEvent = conditions.filter((_, i) => refs[i]!.ns === 'event' || refs[i]!.ns === 'kind');
  const onAnswer = conditions.filter((_, i) => refs[i]!.ns !== 'event' && refs[i]!.ns !== 'kind');
  const kinds = new Set<EventKind>(rule.kinds);
  const summary = compileSummary(rule.id, rule.summary);
  const paths = new Map<string, readonly string[]>();
  for (const ref of [...refs, ...parseTemplate(rule.summary).parts]) {
    if (typeof ref !== 'string' && ref.ns === 'event') paths.set(ref.segments.join('.'), ref.segments);
  }
  const all = (list: readonly CompiledCondition[], input: AlertInput): boolean => {
    for (const c of list) if (!c.test(c.get(input))) return false;
    return true;
  };
  return {
    id: rule.id,
    severity: rule.severity,
    kinds,
    matches(input) {
      if (!kinds.has(input.kind)) return false;
      for (const c of conditions) if (!c.test(c.get(input))) return false;
      return true;
    },
    matchesEvent: (input) => kinds.has(input.kind) && all(onEvent, input),
    matchesAnswer: (input) => all(onAnswer, input),
    eventPaths: [...paths.values()],
    summary,
  };
}

export function compileRules(rules: readonly RuleConfig[]): CompiledRule[] {
  return rules.map(compileRule);
}
