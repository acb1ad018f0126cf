// The chart's alert rules: promtool accepts them, their unit tests pass and cover every alert
// firing, each alert carries what an on-call needs (severity, summary, description, a runbook
// section that exists), and every metric they read is one iprisk exports.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RULES_FILE, RULES_TEST_FILE, RUNBOOKS_FILE, RUNBOOKS_URL, alertRules, exportedNames, metricNames, runbookAnchors } from './support.js';

function promtool(args: readonly string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw new Error(`promtool ${args.join(' ')}: ${result.error.message} (is the Debian prometheus package installed?)`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

interface RulesTestFile {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; eval_time: string; exp_alerts: unknown[] }[] }[];
}

/** The alerts operators asked for; the file may hold more (IpriskIndexReloadFailing). */
const REQUIRED = [
  'IpriskInstanceDown',
  'IpriskConsumerLagGrowing',
  'IpriskDeadLetterRate',
  'IpriskRemoteCircuitOpen',
  'IpriskIndexStale',
  'IpriskNoInput',
  'IpriskRemoteBudgetExhausted',
];

describe('helm/iprisk/files/prometheus-rules.yaml', () => {
  it('passes promtool check rules', () => {
    const { status, output } = promtool(['check', 'rules', RULES_FILE]);
    expect(status, output).toBe(0);
    expect(output).toContain(`SUCCESS: ${alertRules().length} rules found`);
  });

  it('passes its promtool unit tests', () => {
    const { status, output } = promtool(['test', 'rules', RULES_TEST_FILE]);
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });

  it('holds the alerts for a down instance, growing lag, dead letters, an open breaker, a stale index, no input and a spent remote budget', () => {
    expect(alertRules().map((r) => r.alert)).toEqual(expect.arrayContaining(REQUIRED));
  });

  it('has a unit test in which each alert fires, and one in which it stays silent', () => {
    const tests = parse(readFileSync(RULES_TEST_FILE, 'utf8')) as RulesTestFile;
    expect(tests.rule_files).toEqual(['prometheus-rules.yaml']);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of alertRules()) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(mine.filter((c) => c.exp_alerts.length > 0).length, `${alert}: no case in which it fires`).toBeGreaterThan(0);
      expect(mine.filter((c) => c.exp_alerts.length === 0).length, `${alert}: no case in which it stays silent`).toBeGreaterThan(0);
    }
    // A case for an alert the rules no longer hold checks nothing.
    const names = new Set(alertRules().map((r) => r.alert));
    expect(cases.filter((c) => !names.has(c.alertname)).map((c) => c.alertname)).toEqual([]);
  });

  it('gives every alert a severity, a summary, a description and a runbook section that exists', () => {
    const anchors = runbookAnchors();
    for (const rule of alertRules()) {
      expect(['critical', 'warning', 'info'], `${rule.alert}: severity`).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, `${rule.alert}: summary`).toBeTruthy();
      expect(rule.annotations?.description, `${rule.alert}: description`).toBeTruthy();
      const url = rule.annotations?.runbook_url ?? '';
      expect(url.startsWith(`${RUNBOOKS_URL}#`), `${rule.alert}: runbook_url ${url}`).toBe(true);
      const anchor = url.slice(RUNBOOKS_URL.length + 1);
      expect(anchors.has(anchor), `${rule.alert}: docs/runbooks.md has no section #${anchor}`).toBe(true);
    }
  });

  it('has runbook sections for exactly the alerts the rules hold', () => {
    const sections = [...readFileSync(RUNBOOKS_FILE, 'utf8').matchAll(/^## (Iprisk\w+)$/gm)].map((m) => m[1]);
    expect(sections.sort()).toEqual(alertRules().map((r) => r.alert).sort());
  });

  it('reads only metrics iprisk exports, and Prometheus up', async () => {
    const exported = await exportedNames();
    for (const rule of alertRules()) {
      const names = metricNames(rule.expr);
      expect(names.length, `${rule.alert}: no metric found in ${rule.expr}`).toBeGreaterThan(0);
      expect(names.filter((n) => !exported.has(n)), `${rule.alert}: unknown metrics`).toEqual([]);
    }
  });

  it('selects the up series of the job the chart scrapes', () => {
    const down = alertRules().find((r) => r.alert === 'IpriskInstanceDown');
    expect(down?.expr).toMatch(/up\{job="iprisk"\} == 0/);
  });
});

describe('the metric-name extractor the checks above rely on', () => {
  it('finds the series and leaves out functions, labels, ranges and grouping', () => {
    expect(
      metricNames(
        'sum by (namespace, job, reason) (rate(iprisk_dlq_records_total{reason="x_total"}[5m])) / on (job) group_left sum(rate(iprisk_events_consumed_total[5m])) > 0.01 or vector(0) and time() - up',
      ).sort(),
    ).toEqual(['iprisk_dlq_records_total', 'iprisk_events_consumed_total', 'up']);
  });

  it('would catch a name iprisk does not export', async () => {
    const exported = await exportedNames();
    expect(exported.has('iprisk_events_consumed_total')).toBe(true);
    expect(exported.has('iprisk_batch_stage_duration_seconds_bucket')).toBe(true);
    expect(exported.has('iprisk_process_resident_memory_bytes')).toBe(true);
    expect(exported.has('process_resident_memory_bytes')).toBe(false);
    expect(exported.has('iprisk_events_total')).toBe(false);
  });
});
