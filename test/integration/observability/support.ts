import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { REPO_ROOT } from '../../helpers/paths.js';

export const FILES = path.join(REPO_ROOT, 'helm', 'iprisk', 'files');
export const RULES_FILE = path.join(FILES, 'prometheus-rules.yaml');
export const RULES_TEST_FILE = path.join(FILES, 'prometheus-rules.test.yaml');
export const DASHBOARD_FILE = path.join(FILES, 'grafana-dashboard.json');
export const RUNBOOKS_FILE = path.join(REPO_ROOT, 'docs', 'runbooks.md');
export const RUNBOOKS_URL = 'https://github.com/iprisk/iprisk/blob/main/docs/runbooks.md';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RulesFile {
  groups: { name: string; rules: (AlertRule | { record: string; expr: string })[] }[];
}

export function alertRules(): AlertRule[] {
  const file = parse(readFileSync(RULES_FILE, 'utf8')) as RulesFile;
  return file.groups.flatMap((g) => g.rules.filter((r): r is AlertRule => 'alert' in r));
}

export interface DashboardTarget {
  expr?: string;
}

export interface DashboardPanel {
  type: string;
  title: string;
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
  datasource?: { type?: string; uid?: string };
}

export interface TemplateVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
  definition?: string;
}

export interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: DashboardPanel[];
  templating: { list: TemplateVariable[] };
}

export function dashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

/** Every panel, rows' nested panels included (collapsed rows hold theirs inside). */
export function allPanels(d: Dashboard): DashboardPanel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** The PromQL of every panel target, with the panel's title. */
export function dashboardExpressions(d: Dashboard): { panel: string; expr: string }[] {
  return allPanels(d).flatMap((p) => (p.targets ?? []).flatMap((t) => (t.expr === undefined ? [] : [{ panel: p.title, expr: t.expr }])));
}

/** The PromQL inside the query variables' `label_values(METRIC{...}, label)`. */
export function variableExpressions(d: Dashboard): { variable: string; expr: string }[] {
  return d.templating.list.flatMap((v) => {
    const query = typeof v.query === 'string' ? v.query : v.query?.query;
    if (v.type !== 'query' || query === undefined) return [];
    const match = /^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(query);
    if (!match) throw new Error(`variable ${v.name}: query is not label_values(series, label): ${query}`);
    return [{ variable: v.name, expr: match[1]! }];
  });
}

/**
 * Grafana's variables replaced by values Prometheus accepts, so that promtool can parse the
 * dashboard's queries as it parses rules.
 */
export function withGrafanaVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '6h')
    .replace(/\$\{?[a-zA-Z_]+\}?/g, '.*');
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects. Not a full parser, but enough for the
 * expressions kept here: strings, label matchers, ranges and grouping clauses are removed,
 * and what remains as a bare identifier not followed by `(` (a function) is a metric name.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (call !== undefined || KEYWORDS.has(name!.toLowerCase())) continue;
    names.add(name!);
  }
  return [...names];
}

/**
 * The series names iprisk's registry exposes: each metric's own name, plus _bucket, _sum and
 * _count for histograms, plus Prometheus' own `up`. Default process metrics are included
 * because createMetrics() turns them on by default, as `run` and `serve` use it.
 */
export async function exportedNames(): Promise<Set<string>> {
  const metrics = createMetrics();
  const names = new Set<string>(['up']);
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${m.name}${suffix}`);
    if (String(m.type) === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${m.name}${suffix}`);
  }
  return names;
}

/** Every metric name the rules and the dashboard use. */
export function usedNames(): Set<string> {
  const d = dashboard();
  const exprs = [...alertRules().map((r) => r.expr), ...dashboardExpressions(d).map((e) => e.expr), ...variableExpressions(d).map((e) => e.expr)];
  return new Set(exprs.flatMap(metricNames));
}

/** GitHub's anchor for a markdown heading: lower case, punctuation dropped, spaces to hyphens. */
export function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export function runbookAnchors(): Set<string> {
  const text = readFileSync(RUNBOOKS_FILE, 'utf8');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => githubAnchor(m[1]!)));
}
