// Retro-alerts of a real `iprisk run` (SPEC section 12): an address seen while the index did
// not flag it is reported as `retro:<rule>` once a swapped-in index does, exactly once, while
// addresses whose verdict the swap leaves as it was give none. The indexes are built by
// `iprisk index build` from real feeds in ../shared/data.
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { readToEnd } from '../../helpers/chaos.js';
import { iprisk } from '../../helpers/cli.js';
import {
  RunProcess,
  TopicCollector,
  createRunScenario,
  fetchMetrics,
  metricSum,
  runSuite,
  waitFor,
  writeConfig,
} from '../../helpers/kafka.js';
import type { RunScenario } from '../../helpers/kafka.js';
import { sharedData } from '../../helpers/paths.js';
import { SECURITY_DEFAULTS, TIERS } from './facts.js';

const { brokers } = inject('stack');
const { kafka, admin, producer, cleanups } = runSuite(brokers);

// tor/torbulkexitlist (2024-03-12) lists A as a Tor exit; FireHOL's tor_exits.ipset
// (2024-01-24) does not. It lists C, as does the later list. B is in Cloudflare's ips-v4
// (104.16.0.0/13); D is in none of the three files.
const A = '103.106.3.94';
const B = '104.16.0.1';
const C = '102.130.113.9';
const D = '8.8.8.8';

/** Builds a snapshot from the named real feed files with `iprisk index build`. */
function buildIndex(dir: string, name: string, sources: readonly Record<string, string>[]): string {
  const config = path.join(dir, `${name}.sources.yaml`);
  writeFileSync(config, JSON.stringify({ sources }));
  const out = path.join(dir, `${name}.snap`);
  const built = iprisk(['index', 'build', '-c', config, '-o', out]);
  if (built.status !== 0) throw new Error(`iprisk index build failed: ${built.stderr}`);
  return out;
}

const CLOUDFLARE = { name: 'cloudflare-v4', format: 'cloudflare', path: sharedData('cloud', 'cloudflare', 'ips-v4') };
const FIREHOL_TOR = { name: 'firehol-tor', format: 'netset', meaning: 'tor', path: sharedData('tor', 'tor_exits.ipset') };
const TOR_BULK = { name: 'tor-bulk', format: 'tor-exits', path: sharedData('tor', 'torbulkexitlist') };

function lookup(snapshot: string, ip: string): typeof SECURITY_DEFAULTS {
  const out = iprisk(['lookup', '--index', snapshot, ip]);
  if (out.status !== 0) throw new Error(`iprisk lookup failed: ${out.stderr}`);
  return (JSON.parse(out.stdout) as { security: typeof SECURITY_DEFAULTS }).security;
}

interface AlertJson {
  alert_id: string;
  rule: string;
  severity: string;
  summary: string;
  ip: string;
  threat_score: number;
  event_kind: string;
  event_time: number | null;
  source: { topic: string; partition: number; offset: string };
  security: typeof SECURITY_DEFAULTS;
  suppressed_count: number;
}

describe('iprisk run retro-alerts', () => {
  it('alerts retro:tor-exit-auth once for an address a swapped-in index newly lists as a Tor exit, and not for addresses whose verdict stayed', { timeout: 120_000 }, async () => {
    const s: RunScenario = await createRunScenario(admin, (cleanup) => cleanups.push(cleanup), { prefix: 'it', name: 'retro', inputPartitions: 2 });
    const before = buildIndex(s.dir, 'before', [CLOUDFLARE, FIREHOL_TOR]);
    const after = buildIndex(s.dir, 'after', [CLOUDFLARE, FIREHOL_TOR, TOR_BULK]);
    // The premise, from the feeds: A is nothing special before and a Tor exit after; B and C
    // answer the same in both.
    expect(lookup(before, A).is_tor).toBe(false);
    expect(lookup(after, A).is_tor).toBe(true);
    expect(lookup(before, C).is_tor).toBe(true);
    expect(lookup(before, B).is_cloud_provider).toBe(true);
    expect(lookup(after, B)).toEqual(lookup(before, B));
    expect(lookup(after, C)).toEqual(lookup(before, C));

    const snapshot = path.join(s.dir, 'index.snap');
    renameSync(before, snapshot);
    const file = writeConfig(s.dir, {
      kafka: { brokers, client_id: 'iprisk-it', group_id: s.group, start_from: 'earliest', session_timeout_ms: 6000, heartbeat_interval_ms: 1000 },
      index: { path: snapshot, watch: true, reload_debounce_ms: 200 },
      inputs: [{ topic: s.input, kind: 'auth', format: 'json' }],
      outputs: { enriched: { topic: s.enriched, format: 'json' }, alerts: { topic: s.alerts, format: 'json' }, dlq: { topic: s.dlq } },
      alerts: { retro: { enabled: true, lookback_secs: 3600 } },
      http: { port: 0 },
    });
    const collector = await TopicCollector.start(kafka, [s.enriched]);
    cleanups.push(() => collector.stop());
    const run = RunProcess.start(file);
    cleanups.push(() => run.kill());
    const ops = await run.opsUrl();
    await waitFor('/readyz to answer 200', async () => ((await fetch(`${ops}/readyz`)).status === 200 ? true : undefined), { timeoutMs: 40_000 });

    const t0 = Date.UTC(2026, 2, 2, 11, 0, 0);
    const auth = (ip: string, second: number, user: string, outcome: 'success' | 'failure') => ({
      key: user,
      value: JSON.stringify({ timestamp: new Date(t0 + second * 1000).toISOString(), ip, user, action: 'login', outcome, app: 'portal', session_id: `${user}-${second}` }),
    });
    // A three times (successful logins, so only the Tor rule can newly match), B with a failure
    // (a cloud address is not anonymous), C (a Tor exit already), D (unknown to both indexes).
    const messages = [
      auth(A, 0, 'alice', 'success'),
      auth(B, 5, 'bob', 'failure'),
      auth(C, 10, 'carol', 'success'),
      auth(A, 20, 'alice', 'success'),
      auth(D, 25, 'dave', 'success'),
      auth(A, 40, 'alice', 'success'),
    ];
    await producer.send({ topic: s.input, acks: -1, messages });
    await collector.until('every event enriched', (c) => c.on(s.enriched).length >= messages.length, 30_000);
    await waitFor(
      'the retro memory to hold the four public addresses',
      async () => (metricSum(await fetchMetrics(ops), 'iprisk_alerts_retro_addresses') === 4 ? true : undefined),
      { timeoutMs: 10_000 },
    );
    const live = (await readToEnd(kafka, admin, s.alerts)).map((r) => JSON.parse(String(r.value)) as AlertJson);
    expect(live.map((a) => [a.rule, a.ip])).toEqual([['tor-exit-auth', C]]);

    // The swap: the new snapshot is renamed over the served one, as `iprisk index update` does.
    renameSync(after, snapshot);
    const produced = await run.waitForLog("'retro-alerts produced'", (l) => l.msg === 'retro-alerts produced', 30_000);
    const reloaded = await run.waitForLog("'index snapshot reloaded'", (l) => l.msg === 'index snapshot reloaded', 1000);
    expect(produced.alerts).toBe(1);

    const all = (await readToEnd(kafka, admin, s.alerts)).map((r) => ({ key: r.key?.toString(), headers: r.headers, alert: JSON.parse(String(r.value)) as AlertJson }));
    const retro = all.filter((r) => r.alert.rule.startsWith('retro:'));
    expect(retro.map((r) => [r.alert.rule, r.alert.ip])).toEqual([['retro:tor-exit-auth', A]]);
    const [{ key, headers, alert }] = retro as [(typeof retro)[number]];
    expect(key).toBe(A);
    expect(headers).toMatchObject({ 'iprisk.alert.rule': 'retro:tor-exit-auth', 'iprisk.alert.severity': 'high' });
    // SPEC section 1 defaults with a Tor exit's flags; the score of anonymisation without abuse.
    const { threat_score: score, ...flags } = alert.security;
    const { threat_score: _default, ...defaults } = SECURITY_DEFAULTS;
    expect(flags).toEqual({ ...defaults, is_tor: true, is_anonymous: true });
    expect(score).toBeGreaterThanOrEqual(TIERS.medium[0]);
    expect(score).toBeLessThanOrEqual(TIERS.medium[1]);
    expect(alert).toMatchObject({
      severity: 'high',
      threat_score: score,
      event_kind: 'auth',
      event_time: t0 + 40_000,
      source: { topic: s.input },
      suppressed_count: 0,
    });
    // The default rule's summary for the last event, then what the memory knew of the address.
    expect(alert.summary).toBe(
      `Auth event (login, success) from Tor exit ${A} (retro, index ${String(reloaded.version)}: 3 events from ${A}, first seen 2026-03-02T11:00:00.000Z, last seen 2026-03-02T11:00:40.000Z)`,
    );
    expect(metricSum(await fetchMetrics(ops), 'iprisk_alerts_retro_emitted_total', { rule: 'retro:tor-exit-auth' })).toBe(1);
  });
});
