// The chart's Grafana dashboard: a dashboard Grafana imports (schema, data source variable),
// with the panels operators asked for, queries Prometheus parses, and only metrics iprisk exports.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Dashboard } from './support.js';
import { allPanels, dashboard, dashboardExpressions, exportedNames, metricNames, variableExpressions, withGrafanaVariables } from './support.js';

const PANELS: [string, RegExp][] = [
  ['events in by topic', /sum by \(topic\) \(rate\(iprisk_events_consumed_total/],
  ['events out by answer source', /sum by \(source\) \(rate\(iprisk_events_enriched_total/],
  ['dead letters by reason', /sum by \(reason\) \(rate\(iprisk_dlq_records_total/],
  ['alerts by rule', /sum by \(rule, severity\) \(rate\(iprisk_alerts_emitted_total/],
  ['consumer lag', /iprisk_consumer_lag_records/],
  ['batch stage latency', /histogram_quantile\(0\.99, sum by \(le, stage\) \(rate\(iprisk_batch_stage_duration_seconds_bucket/],
  ['end-to-end latency', /histogram_quantile\(.*iprisk_end_to_end_latency_seconds_bucket/],
  ['cache hit ratio', /iprisk_cache_lookups_total\{[^}]*result="hit"/],
  ['remote errors', /iprisk_remote_requests_total\{[^}]*outcome!="ok"/],
  ['breaker state', /iprisk_remote_circuit_state/],
  ['remote credits', /iprisk_remote_credits_total/],
  ['remote budget', /iprisk_remote_skipped_ips_total/],
  ['index age', /time\(\) - iprisk_index_built_timestamp_seconds/],
  ['index reloads', /iprisk_index_reloads_total/],
];

describe('helm/iprisk/files/grafana-dashboard.json', () => {
  const d = dashboard();

  it('is a schema 39 dashboard whose panels all query the ${datasource} Prometheus variable', () => {
    expect(d.schemaVersion).toBe(39);
    expect(d.uid).toBe('iprisk');
    const ds = d.templating.list.find((v) => v.name === 'datasource');
    expect(ds).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const p of allPanels(d).filter((x) => x.type !== 'row')) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
    expect(d.templating.list.map((v) => v.name)).toEqual(expect.arrayContaining(['job', 'instance']));
  });

  it('has a panel for each view operators asked for', () => {
    const exprs = dashboardExpressions(d).map((e) => e.expr);
    for (const [what, pattern] of PANELS) expect(exprs.some((e) => pattern.test(e)), `no ${what} panel`).toBe(true);
  });

  it('gives every panel a title and ids no two panels share', () => {
    const panels = allPanels(d) as (ReturnType<typeof allPanels>[number] & { id: number })[];
    expect(panels.every((p) => p.title.length > 0)).toBe(true);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
  });

  it('lays its panels out on the 24-column grid without overlaps', () => {
    const taken = new Map<string, string>();
    for (const p of d.panels as (Dashboard['panels'][number] & { gridPos: { x: number; y: number; w: number; h: number } })[]) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let cx = x; cx < x + w; cx++) {
        for (let cy = y; cy < y + h; cy++) {
          expect(taken.get(`${cx},${cy}`), `${p.title} overlaps`).toBeUndefined();
          taken.set(`${cx},${cy}`, p.title);
        }
      }
    }
  });

  it('filters every query by the job, namespace and instance variables', () => {
    for (const { panel, expr } of dashboardExpressions(d)) {
      for (const selector of expr.match(/\b[a-z_:][a-z0-9_:]*\{[^}]*\}/g) ?? []) {
        expect(selector, `${panel}: ${expr}`).toMatch(/job=~"\$job", namespace=~"\$namespace", instance=~"\$instance"/);
      }
    }
  });

  it('has queries Prometheus parses (promtool checks them as recording rules)', () => {
    const exprs = [...dashboardExpressions(d), ...variableExpressions(d).map((v) => ({ panel: `variable ${v.variable}`, expr: v.expr }))];
    const dir = mkdtempSync(path.join(tmpdir(), 'iprisk-dashboard-'));
    try {
      const file = path.join(dir, 'dashboard-queries.yaml');
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: exprs.map((e, i) => ({ record: `dashboard:query:${i}`, expr: withGrafanaVariables(e.expr) })) }] }));
      const result = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8', timeout: 60_000 });
      if (result.error) throw result.error;
      expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads only metrics iprisk exports, and Prometheus up', async () => {
    const exported = await exportedNames();
    const exprs = [...dashboardExpressions(d), ...variableExpressions(d).map((v) => ({ panel: `variable ${v.variable}`, expr: v.expr }))];
    for (const { panel, expr } of exprs) {
      const names = metricNames(expr);
      expect(names.length, `${panel}: no metric in ${expr}`).toBeGreaterThan(0);
      expect(names.filter((n) => !exported.has(n)), `${panel}: ${expr}`).toEqual([]);
    }
  });
});
