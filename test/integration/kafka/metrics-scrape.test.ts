// What Prometheus scrapes from a real `iprisk run` and a real `iprisk serve`: the text passes
// `promtool check metrics`, and every metric the chart's alert rules and Grafana dashboard read
// is in it once the instance has seen traffic (good events, a dead letter, an alert, a remote
// lookup and one over budget, a reload; for serve, API requests).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { iprisk } from '../../helpers/cli.js';
import { FaultServer } from '../../helpers/fault-server.js';
import {
  RunProcess,
  assertBuilt,
  createTopics,
  deleteGroups,
  deleteTopics,
  fetchMetrics,
  metricSum,
  parseMetrics,
  testKafka,
  uniqueName,
  waitFor,
  writeConfig,
} from '../../helpers/kafka.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { childEnv } from '../../helpers/env.js';
import { usedNames } from '../observability/support.js';

const { brokers } = inject('stack');
const kafka = testKafka(brokers);
const admin = kafka.admin();
let producer: Producer;

/**
 * Lint findings of `promtool check metrics` that come from prom-client's default Node metrics,
 * not from iprisk's own: prom-client names these gauges `*_total`, and promtool wants that
 * suffix on counters only. promtool exits 3 for lint findings and 1 for text it cannot parse,
 * so the test accepts exit 3 only when every finding is one of these.
 */
const PROM_CLIENT_LINT = new Set(['iprisk_nodejs_active_handles_total', 'iprisk_nodejs_active_requests_total', 'iprisk_nodejs_active_resources_total']);

const topics = {
  access: uniqueName('it-scrape-access'),
  auth: uniqueName('it-scrape-auth'),
  enriched: uniqueName('it-scrape-enriched'),
  alerts: uniqueName('it-scrape-alerts'),
  dlq: uniqueName('it-scrape-dlq'),
};
const group = uniqueName('it-scrape');
const dir = mkdtempSync(path.join(tmpdir(), 'iprisk-scrape-'));
const snapshot = path.join(dir, 'index.snap');
let remote: FaultServer;
let run: RunProcess | undefined;

function buildIndex(out: string): void {
  const built = iprisk(['index', 'build', '-c', path.join(REPO_ROOT, 'config', 'sample', 'sources.yaml'), '-o', out]);
  if (built.status !== 0) throw new Error(`iprisk index build failed: ${built.stderr}`);
}

beforeAll(async () => {
  assertBuilt();
  await admin.connect();
  producer = kafka.producer();
  await producer.connect();
  await createTopics(
    admin,
    Object.values(topics).map((topic) => ({ topic, partitions: 1 })),
  );
  remote = await FaultServer.start();
  buildIndex(snapshot);
});

afterAll(async () => {
  await run?.kill();
  await remote.close();
  await producer.disconnect();
  await deleteTopics(admin, Object.values(topics));
  await deleteGroups(admin, [group]);
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `promtool check metrics` on a scrape, asserts it is clean of iprisk's own problems, and returns the series names in it. */
function checkedNames(text: string): Set<string> {
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 });
  if (check.error) throw new Error(`promtool: ${check.error.message} (is the Debian prometheus package installed?)`);
  const findings = `${check.stdout}${check.stderr}`.split('\n').filter((l) => l.trim() !== '');
  const foreign = findings.filter((l) => !PROM_CLIENT_LINT.has(l.split(' ')[0]!));
  expect(foreign, 'promtool findings on iprisk metrics').toEqual([]);
  expect(check.status, findings.join('\n')).toBe(findings.length === 0 ? 0 : 3);
  return new Set(parseMetrics(text).map((s) => s.name));
}

/** The metrics of the serve API (`iprisk_http_*`): only `iprisk serve` counts them; run's ops port does not. */
const isServeMetric = (name: string): boolean => name.startsWith('iprisk_http_');

function event(ip: string, i: number): string {
  return JSON.stringify({ timestamp: new Date().toISOString(), client_ip: ip, method: 'GET', path: `/p/${i}`, status: 200, request_id: `scrape-${i}` });
}

describe('what Prometheus scrapes from /metrics', () => {
  it('of iprisk run passes promtool check metrics and holds every metric the alert rules and the dashboard read', { timeout: 120_000 }, async () => {
    const file = writeConfig(dir, {
      kafka: { brokers, client_id: 'iprisk-it', group_id: group, session_timeout_ms: 6000, heartbeat_interval_ms: 1000 },
      index: { path: snapshot },
      inputs: [
        { topic: topics.access, kind: 'access', format: 'json' },
        { topic: topics.auth, kind: 'auth', format: 'json' },
      ],
      outputs: { enriched: { topic: topics.enriched, format: 'json' }, alerts: { topic: topics.alerts, format: 'json' }, dlq: { topic: topics.dlq } },
      http: { port: 0 },
      // A remote provider makes the remote and cache metrics exist. 9.9.9.9 and 9.9.9.10 are not
      // in the sample index: one is asked, the other is over the budget of one a minute.
      remote: { providers: [{ type: 'iprisk', base_url: remote.url, timeout_ms: 5000, retries: 0, budget_ips_per_minute: 1 }], on_remote_failure: 'pass' },
    });
    run = RunProcess.start(file);
    const ops = await run.opsUrl();
    await waitFor('/readyz to answer 200', async () => ((await fetch(`${ops}/readyz`)).status === 200 ? true : undefined), {
      timeoutMs: 40_000,
      describe: () => `stderr tail:\n${run?.tail() ?? ''}`,
    });

    // 2.56.188.34 scores 80 in the sample index (an alert, then a suppressed match); 1.0.0.1 is
    // an index hit; 9.9.9.9 and 9.9.9.10 go to the remote; one record is not JSON (a dead letter).
    const addresses = ['2.56.188.34', '1.0.0.1', '9.9.9.9', '2.56.188.34', '9.9.9.10', '1.0.0.1'];
    await producer.send({ topic: topics.access, acks: -1, messages: [...addresses.map((ip, i) => ({ value: event(ip, i) })), { value: 'not json {' }] });
    await producer.send({ topic: topics.auth, acks: -1, messages: [{ value: JSON.stringify({ timestamp: new Date().toISOString(), client_ip: '1.0.0.1', event: { action: 'login', outcome: 'success', user: 'a' } }) }] });
    await waitFor(
      '/metrics to count the traffic',
      async () => {
        const samples = await fetchMetrics(ops);
        const done =
          metricSum(samples, 'iprisk_events_consumed_total') === addresses.length + 2 &&
          metricSum(samples, 'iprisk_dlq_records_total', { reason: 'json_invalid' }) === 1 &&
          metricSum(samples, 'iprisk_alerts_emitted_total', { rule: 'high-threat-score' }) === 1 &&
          metricSum(samples, 'iprisk_alerts_suppressed_total', { rule: 'high-threat-score' }) === 1 &&
          metricSum(samples, 'iprisk_remote_skipped_ips_total', { reason: 'budget' }) >= 1;
        return done ? true : undefined;
      },
      { timeoutMs: 30_000, describe: () => `stderr tail:\n${run?.tail() ?? ''}` },
    );

    // A new snapshot renamed into place, as `index update` installs one: a reload.
    buildIndex(`${snapshot}.new`);
    renameSync(`${snapshot}.new`, snapshot);
    await waitFor(
      'a successful index reload',
      async () => (metricSum(await fetchMetrics(ops), 'iprisk_index_reloads_total', { outcome: 'success' }) >= 1 ? true : undefined),
      { timeoutMs: 30_000, describe: () => `stderr tail:\n${run?.tail() ?? ''}` },
    );

    const response = await fetch(`${ops}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();

    const scraped = checkedNames(text);
    const missing = [...usedNames()].filter((n) => n !== 'up' && !isServeMetric(n) && !scraped.has(n));
    expect(missing, 'metrics the rules or the dashboard read that the scrape lacks').toEqual([]);

    run.signal('SIGTERM');
    expect((await run.exit(30_000)).code).toBe(0);
    run = undefined;
  });

  it('of iprisk serve passes promtool check metrics and holds every API metric the dashboard reads', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'iprisk.js'), 'serve', '--index', snapshot, '--port', '0', '--api-key', 'scrape-key'], {
      cwd: dir,
      env: childEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    try {
      const url = await waitFor(
        'iprisk serve to listen',
        () => {
          for (const line of stderr.split('\n')) {
            if (!line.startsWith('{')) continue;
            const log = JSON.parse(line) as { msg?: string; url?: string };
            if (log.msg === 'iprisk serve listening' && log.url !== undefined) return log.url;
          }
          if (child.exitCode !== null) throw new Error(`iprisk serve exited ${child.exitCode}:\n${stderr}`);
          return undefined;
        },
        { timeoutMs: 20_000, describe: () => stderr },
      );
      expect((await fetch(`${url}/v3/security?apiKey=scrape-key&ip=2.56.188.34`)).status).toBe(200);
      const bulk = await fetch(`${url}/v3/security-bulk?apiKey=scrape-key`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ips: ['1.0.0.1', '10.0.0.1'] }),
      });
      expect(bulk.status).toBe(200);

      const response = await fetch(`${url}/metrics`);
      expect(response.status).toBe(200);
      const scraped = checkedNames(await response.text());
      const wanted = [...usedNames()].filter(isServeMetric);
      expect(wanted.length).toBeGreaterThan(0);
      expect(wanted.filter((n) => !scraped.has(n)), 'API metrics the dashboard reads that the scrape lacks').toEqual([]);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
