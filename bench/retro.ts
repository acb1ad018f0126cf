/**
 * `npm run bench:retro`: what retro-alerts cost `run`. RETRO_ADDRESSES (default 200,000)
 * addresses are observed in batches of 1,000 auth events over 500 addresses, enriched against a
 * synthetic index; then the index is swapped for another one.
 * - memory: heap bytes per remembered address (after a full GC on both sides);
 * - observe: CPU time of `RetroAlerts.observe` per event, next to the per-event alert rule
 *   evaluation the pipeline already does (`AlertEngine.evaluate`), on the same batches;
 * - swap: CPU time of `RetroAlerts.evaluate` over every remembered address, next to parsing and
 *   looking up the same addresses in the new index, which it cannot do without.
 */
import { AlertEngine } from '../src/alerts/engine.js';
import { RetroAlerts } from '../src/alerts/retro.js';
import { alertsSchema } from '../src/alerts/rules-schema.js';
import { DEFAULT_IP_FIELDS } from '../src/config/schema.js';
import { Enricher } from '../src/enrich/enricher.js';
import { parseClientIp } from '../src/ip/client-ip.js';
import { formatIPv4 } from '../src/ip/address.js';
import { CompiledRangeIndex } from '../src/range-index/range-index.js';
import { buildSyntheticIndex } from './lib/indexes.js';
import { collectGarbage, cpuMs } from './lib/measure.js';
import { Prng } from './lib/prng.js';
import { count, ms, ratio, table } from './lib/report.js';

const ADDRESSES = Number(process.env.RETRO_ADDRESSES ?? 200_000);
const BATCH_EVENTS = 1000;
const BATCH_ADDRESSES = 500;
const ACTIONS = ['login', 'logout', 'mfa', 'password_reset', 'signup', 'token'];

function heapUsed(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  if ((globalThis as { gc?: unknown }).gc === undefined) throw new Error('run with node --expose-gc (npm run bench:retro does)');
  const before = new CompiledRangeIndex(buildSyntheticIndex(200_000, 0x1b2c3d4e));
  const after = new CompiledRangeIndex(buildSyntheticIndex(200_000, 0x5eed1234));
  const config = alertsSchema.parse({ retro: { enabled: true, max_addresses: ADDRESSES } });
  const clock = Date.now;
  const retro = new RetroAlerts(config.rules, config.retro, { clock });
  const engine = new AlertEngine({ ...config, suppression_window_secs: 0 }, { clock });
  const enricher = new Enricher({
    index: { current: before },
    extraction: { ip_fields: [...DEFAULT_IP_FIELDS], xff_field: 'x_forwarded_for', trusted_proxies: [] },
  });
  const rng = new Prng(0x7e7a0001);
  const heapBefore = heapUsed();
  let observeMs = 0;
  let engineMs = 0;
  let events = 0;
  let offset = 0;
  const t0 = Date.UTC(2026, 2, 2);
  while (retro.size < ADDRESSES) {
    const addresses = Array.from({ length: BATCH_ADDRESSES }, () => formatIPv4(rng.next()));
    const raw = Array.from({ length: BATCH_EVENTS }, (_, i) => ({
      timestamp: new Date(t0 + offset + i).toISOString(),
      ip: addresses[rng.int(BATCH_ADDRESSES)],
      user: `user-${rng.int(100_000)}`,
      action: ACTIONS[rng.int(ACTIONS.length)],
      outcome: rng.int(10) === 0 ? 'failure' : 'success',
      session_id: `s-${rng.next()}`,
    }));
    const enriched = await enricher.enrich(raw, raw.map(() => 'auth'));
    const times = raw.map((e) => Date.parse(e.timestamp));
    const offsets = raw.map((_, i) => String(offset + i));
    let start = cpuMs();
    retro.observe({ topic: 'auth-events', partition: 0 }, enriched, times, offsets);
    observeMs += cpuMs() - start;
    start = cpuMs();
    for (let i = 0; i < enriched.length; i++) {
      const e = enriched[i]!;
      if (e.security === null || e.enrichment.ip === null) continue;
      engine.evaluate({
        event: e.event,
        kind: e.kind,
        ip: e.enrichment.ip,
        security: e.security,
        enrichmentSource: e.enrichment.source,
        eventTimeMs: times[i]!,
        source: { topic: 'auth-events', partition: 0, offset: offsets[i]! },
      });
    }
    engineMs += cpuMs() - start;
    events += raw.length;
    offset += raw.length;
  }
  const heapAfter = heapUsed();
  const perAddress = (heapAfter - heapBefore) / retro.size;

  const ips: string[] = [];
  for (let ip = 0; ips.length < retro.size; ip++) ips.push(formatIPv4(rng.next()));
  let start = cpuMs();
  let hits = 0;
  for (const ip of ips) {
    const client = parseClientIp(ip);
    if (client.kind === 'public' && client.family === 4 && after.matchV4(client.v4) !== undefined) hits++;
  }
  const lookupMs = cpuMs() - start;
  start = cpuMs();
  const alerts = retro.evaluate(after);
  const evaluateMs = cpuMs() - start;

  process.stdout.write(
    table(
      `retro-alerts: ${count(retro.size)} addresses from ${count(events)} auth events, default rules`,
      [
        { figure: 'memory per address', iprisk: `${Math.round(perAddress)} B`, baseline: '-', ratio: '-', aim: '-' },
        {
          figure: 'observe, CPU per event',
          iprisk: `${((observeMs * 1e6) / events).toFixed(0)} ns`,
          baseline: `${((engineMs * 1e6) / events).toFixed(0)} ns`,
          ratio: ratio(observeMs / engineMs),
          aim: '-',
        },
        {
          figure: 'swap, CPU for all addresses',
          iprisk: ms(evaluateMs),
          baseline: ms(lookupMs),
          ratio: ratio(evaluateMs / lookupMs),
          aim: '-',
        },
      ],
      [
        `memory: ${((perAddress * 1_000_000) / 1024 / 1024).toFixed(0)} MiB per million addresses`,
        'observe baseline: AlertEngine.evaluate on every event of the same batches',
        'swap baseline: parseClientIp + matchV4 of as many addresses in the new index',
        `${count(alerts.length)} retro-alerts on the swap; ${count(hits)} baseline lookups answered`,
      ],
    ),
  );
}

await main();
