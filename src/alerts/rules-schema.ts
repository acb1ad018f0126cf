import { z } from 'zod';
import type { FieldRef } from './fields.js';
import { EVENT_KINDS, parseFieldRef } from './fields.js';
import { MAX_RETRO_RULES } from './retro-memory.js';
import { parseTemplate } from './template.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const OPERATORS = ['eq', 'in', 'gte', 'lte', 'exists'] as const;
export type Operator = (typeof OPERATORS)[number];

const scalar = z.union([z.string(), z.number(), z.boolean()]);
export type Scalar = z.infer<typeof scalar>;

type Issue = { message: string; path: (string | number)[] };

function checkValue(ref: FieldRef, op: 'eq' | 'in', value: Scalar, path: (string | number)[]): Issue | null {
  const expected = ref.type === 'string[]' ? 'string' : ref.type;
  if (expected !== 'unknown' && typeof value !== expected) {
    const what = ref.type === 'string[]' ? 'a list of strings (matches when it contains the value)' : `a ${ref.type}`;
    return { message: `${op} on ${ref.name} needs a ${expected} value: the field is ${what}`, path };
  }
  if (ref.ns !== 'security' && ref.ns !== 'event' && ref.values && !ref.values.includes(String(value))) {
    return { message: `${ref.name} is one of ${ref.values.join(' | ')}, never '${String(value)}'`, path };
  }
  return null;
}

/** Problems of one condition that zod's shape alone cannot see: operator count, field and types. */
function conditionIssues(c: ConditionConfig): Issue[] {
  const ops = OPERATORS.filter((op) => c[op] !== undefined);
  if (ops.length === 0) {
    return [{ message: `a condition needs one operator: ${OPERATORS.join(' | ')}`, path: [] }];
  }
  if (ops.length > 1) {
    return [{ message: `one operator per condition, found ${ops.join(' and ')}: split it into several conditions (all must hold)`, path: [ops[1]!] }];
  }
  const parsed = parseFieldRef(c.field);
  if (!parsed.ok) return [{ message: parsed.message, path: ['field'] }];
  const ref = parsed.ref;
  const issues: Issue[] = [];
  if (c.gte !== undefined || c.lte !== undefined) {
    const op = c.gte !== undefined ? 'gte' : 'lte';
    if (ref.type !== 'number' && ref.type !== 'unknown') {
      issues.push({ message: `${op} compares numbers, but ${ref.name} is a ${ref.type}`, path: [op] });
    }
  } else if (c.exists !== undefined) {
    if (ref.ns !== 'event') {
      issues.push({ message: `exists applies to event fields only: ${ref.name} is always present`, path: ['exists'] });
    }
  } else if (c.eq !== undefined) {
    const issue = checkValue(ref, 'eq', c.eq, ['eq']);
    if (issue) issues.push(issue);
  } else if (c.in !== undefined) {
    c.in.forEach((value, i) => {
      const issue = checkValue(ref, 'in', value, ['in', i]);
      if (issue) issues.push(issue);
    });
  }
  return issues;
}

/**
 * One test on one field. Exactly one operator: eq (equal; on a list, contains), in (one of the
 * values; on a list, any element is), gte / lte (numbers; numeric strings in events count),
 * exists (the event field is present and not null).
 */
export const conditionSchema = z
  .strictObject(
    {
      field: z.string().min(1).describe('What the condition tests: security.<field>, event.<dot.path>, kind, ip or enrichment.source.'),
      eq: scalar.optional().describe('Equal to this value; on a list field, contains it.'),
      in: z.array(scalar).min(1).optional().describe('One of these values; on a list field, any element is.'),
      gte: z.number().optional().describe('A number at least this (numeric strings in events count).'),
      lte: z.number().optional().describe('A number at most this (numeric strings in events count).'),
      exists: z.boolean().optional().describe('true: the event field is present and not null; false: it is absent or null.'),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `unknown operator or key ${iss.keys.map((k) => `'${k}'`).join(', ')}: a condition has field and one of ${OPERATORS.join(' | ')}`
          : undefined,
    },
  )
  .superRefine((c, ctx) => {
    for (const issue of conditionIssues(c)) ctx.addIssue({ code: 'custom', ...issue });
  });

export type ConditionConfig = z.output<typeof conditionSchema>;

export const ruleSchema = z
  .strictObject({
    id: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only')
      .describe('Unique; names the rule in alerts, alert ids and metrics.'),
    severity: z.enum(SEVERITIES).describe("The alerts' severity."),
    summary: z
      .string()
      .min(1)
      .describe('Alert text: `{path}` placeholders with the condition namespaces; `{{` / `}}` are literal braces. A missing or empty value renders as `-`.'),
    kinds: z.array(z.enum(EVENT_KINDS)).min(1).default([...EVENT_KINDS]).describe('Event kinds the rule looks at.'),
    when: z.array(conditionSchema).min(1).describe('Conditions, every one of which must hold (AND).'),
  })
  .superRefine((rule, ctx) => {
    for (const message of parseTemplate(rule.summary).problems) {
      ctx.addIssue({ code: 'custom', message, path: ['summary'] });
    }
  });

export type RuleConfig = z.output<typeof ruleSchema>;
export type RuleConfigInput = z.input<typeof ruleSchema>;

/** SPEC section 4's defaults, used when `alerts.rules` is omitted. */
export const DEFAULT_RULES: readonly RuleConfig[] = deepFreeze([
  {
    id: 'high-threat-score',
    severity: 'high',
    summary: 'Threat score {security.threat_score} from {ip}',
    kinds: ['access', 'auth'],
    when: [{ field: 'security.threat_score', gte: 80 }],
  },
  {
    id: 'auth-failure-from-anonymous-ip',
    severity: 'medium',
    summary: 'Failed {event.action} for {event.user} from anonymous IP {ip}',
    kinds: ['auth'],
    when: [
      { field: 'event.outcome', eq: 'failure' },
      { field: 'security.is_anonymous', eq: true },
    ],
  },
  {
    id: 'tor-exit-auth',
    severity: 'high',
    summary: 'Auth event ({event.action}, {event.outcome}) from Tor exit {ip}',
    kinds: ['auth'],
    when: [{ field: 'security.is_tor', eq: true }],
  },
] satisfies RuleConfig[]);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export const rulesSchema = z
  .array(ruleSchema)
  .superRefine((rules, ctx) => {
    const seen = new Map<string, number>();
    rules.forEach((rule, i) => {
      const before = seen.get(rule.id);
      if (before === undefined) seen.set(rule.id, i);
      else ctx.addIssue({ code: 'custom', message: `duplicate rule id '${rule.id}' (also at rules.${before})`, path: [i, 'id'] });
    });
  })
  .default(() => structuredClone(DEFAULT_RULES) as RuleConfig[]);

/** `alerts.retro`: alerts for addresses seen recently that a new index makes match. */
export const retroSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('true: on each index swap, `run` raises `retro:<rule id>` alerts for remembered addresses that newly match a rule.'),
    lookback_secs: z
      .number()
      .int()
      .min(1)
      .default(3600)
      .describe('How long an address is remembered after the last event from it (seconds of processing time).'),
    max_addresses: z
      .number()
      .int()
      .min(1)
      .default(250_000)
      .describe('Bound on the memory, about 400 bytes an address (`npm run bench:retro`; 250,000 take about 100 MiB): beyond it, the least recently seen addresses are forgotten first.'),
  })
  .prefault({});

export type RetroConfig = z.output<typeof retroSchema>;

/** The `alerts` config section (SPEC section 4); omitted entirely, every default applies. */
export const alertsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('false: no rule is evaluated and no alert is emitted.'),
    suppression_window_secs: z
      .number()
      .int()
      .min(0)
      .default(300)
      .describe('One alert per (rule, ip) per window, the next one carrying suppressed_count; 0 turns suppression off.'),
    max_tracked_keys: z
      .number()
      .int()
      .min(1)
      .default(100_000)
      .describe('Bound on suppression memory: beyond it, the least recently matched (rule, ip) keys are forgotten.'),
    rules: rulesSchema.describe('The alert rules. Absent: the three default rules; an empty list: none.'),
    retro: retroSchema.describe('Retro-alerts of `run`: addresses seen in the lookback that a new index makes match a rule they did not match.'),
  })
  .superRefine((alerts, ctx) => {
    if (alerts.retro.enabled && !alerts.enabled) {
      ctx.addIssue({ code: 'custom', message: 'retro-alerts need alerts.enabled: with alerts off no rule is evaluated', path: ['retro', 'enabled'] });
    }
    if (alerts.retro.enabled && alerts.rules.length > MAX_RETRO_RULES) {
      ctx.addIssue({ code: 'custom', message: `retro-alerts follow at most ${MAX_RETRO_RULES} rules; alerts.rules has ${alerts.rules.length}`, path: ['retro', 'enabled'] });
    }
  })
  .prefault({});

export type AlertsConfig = z.output<typeof alertsSchema>;
export type AlertsConfigInput = z.input<typeof alertsSchema>;
