/**
 * `npm run bench:history`: a year of daily snapshots in a history folder, as-of enrichment over
 * it. HISTORY_DAYS (default 365) snapshots are made from the real-feed index, each day's proxy
 * entries carrying that day as proxy_last_seen (so every day's content differs, as real feeds
 * do), and filed one a day. HISTORY_EVENTS (default 200,000) generated access events spread
 * over the year are then enriched in batches of 4,096, with the default cache of 8 snapshots.
 * - filing: CPU time per snapshot filed, next to writing the same snapshot as a plain file;
 * - time order: events per CPU-second, next to one Enricher over one snapshot (the baseline
 *   the as-of layer adds its grouping and snapshot loads to), and the memory it holds (heap
 *   and buffers after a full GC, the largest after any batch), next to one loaded snapshot;
 * - random order: HISTORY_RANDOM_EVENTS (default 20,000) of the events, evenly spread over the
 *   year and shuffled, must get the answers they got in time order (mismatches: 0), at the
 *   cost of reloading snapshots evicted from the cache: a batch of random times needs nearly
 *   every snapshot.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_IP_FIELDS } from '../src/config/schema.js';
import { AsOfEnricher } from '../src/enrich/as-of-enricher.js';
import { Enricher } from '../src/enrich/enricher.js';
import type { EnrichedEvent } from '../src/enrich/enricher.js';
import { DEFAULT_HISTORY_CACHE, SnapshotHistory } from '../src/history/snapshot-history.js';
import { fileSnapshot } from '../src/history/store.js';
import { readSnapshot, writeSnapshot } from '../src/range-index/snapshot.js';
import type { SnapshotData } from '../src/range-index/types.js';
import { writeAccessLog } from './lib/events.js';
import { buildRealIndex } from './lib/indexes.js';
import { collectGarbage, cpuMs } from './lib/measure.js';
import { Prng } from './lib/prng.js';
import { count, mib, ms, rate, ratio, table } from './lib/report.js';

const DAYS = Number(process.env.HISTORY_DAYS ?? 365);
const EVENTS = Number(process.env.HISTORY_EVENTS ?? 200_000);
const RANDOM_EVENTS = Math.min(EVENTS, Number(process.env.HISTORY_RANDOM_EVENTS ?? 20_000));
const BATCH = 4096;
const DAY_MS = 86_400_000;
const START = Date.UTC(2025, 0, 1);
const extraction = { ip_fields: [...DEFAULT_IP_FIELDS], xff_field: 'x_forwarded_for', trusted_proxies: [] };

/** Day `d`'s snapshot: the real-feed index with its proxies last seen that day. */
function dayOf(base: SnapshotData, d: number): SnapshotData {
  const seen = new Date(START + d * DAY_MS).toISOString().slice(0, 10);
  return {
    ...base,
    version: `day-${seen}`,
    builtAt: new Date(START + d * DAY_MS),
    entries: base.entries.map((e) => (e.security.is_proxy ? { ...e, security: { ...e.security, proxy_last_seen: seen } } : e)),
  };
}

/** What the process holds: V8 heap plus array buffers (snapshot files), after a full GC. */
function held(): number {
  collectGarbage();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const answerOf = (e: EnrichedEvent): string => `${e.enrichment.index_version} ${e.enrichment.source} ${e.enrichment.stale} ${e.securityJson}`;

async function enrichAll(
  enricher: { enrich(events: readonly Record<string, unknown>[]): Promise<EnrichedEvent[]> },
  events: readonly Record<string, unknown>[],
): Promise<{ answers: string[]; cpu: number; peakHeld: number }> {
  const answers: string[] = [];
  let peakHeld = 0;
  let cpu = 0;
  for (let i = 0; i < events.length; i += BATCH) {
    const start = cpuMs();
    for (const e of await enricher.enrich(events.slice(i, i + BATCH))) answers.push(answerOf(e));
    cpu += cpuMs() - start;
    // Outside the timed part: a full GC per batch.
    peakHeld = Math.max(peakHeld, held());
  }
  return { answers, cpu, peakHeld };
}

async function main(): Promise<void> {
  if ((globalThis as { gc?: unknown }).gc === undefined) throw new Error('run with node --expose-gc (npm run bench:history does)');
  const dir = await mkdtemp(path.join(tmpdir(), 'iprisk-bench-history-'));
  try {
    const { data: base } = await buildRealIndex();

    let fileCpu = 0;
    let writeCpu = 0;
    for (let d = 0; d < DAYS; d++) {
      const day = dayOf(base, d);
      let t = cpuMs();
      await writeSnapshot(path.join(dir, 'plain.snap'), day);
      writeCpu += cpuMs() - t;
      t = cpuMs();
      await fileSnapshot(path.join(dir, 'history'), day, { validFrom: day.builtAt });
      fileCpu += cpuMs() - t;
    }

    const log = path.join(dir, 'access.jsonl');
    await writeAccessLog(log, EVENTS, base, new Prng(0x4157_0001));
    const events = (await readFile(log, 'utf8'))
      .split('\n')
      .filter((l) => l)
      .map((l, i) => ({ ...(JSON.parse(l) as Record<string, unknown>), timestamp: new Date(START + Math.floor((i / EVENTS) * DAYS * DAY_MS)).toISOString() }));
    const rng = new Prng(0x4157_0002);
    // Every k-th event, so the shuffled ones still span the whole year.
    const stride = Math.max(1, Math.floor(EVENTS / RANDOM_EVENTS));
    const shuffled = events.filter((_, i) => i % stride === 0).slice(0, RANDOM_EVENTS);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }

    const before = held();
    const history = await SnapshotHistory.open(path.join(dir, 'history'));
    const ordered = await enrichAll(new AsOfEnricher({ history, extraction }), events);
    const orderedLoads = history.loads;
    const randomHistory = await SnapshotHistory.open(path.join(dir, 'history'));
    const random = await enrichAll(new AsOfEnricher({ history: randomHistory, extraction }), shuffled);

    const beforeOne = held();
    const one = await readSnapshot(path.join(dir, 'plain.snap'));
    const oneSnapshotBytes = held() - beforeOne;
    const single = await enrichAll(new Enricher({ index: { current: one }, extraction }), events);

    const byEvent = new Map(events.map((e, i) => [e, ordered.answers[i]!]));
    const mismatches = shuffled.filter((e, i) => byEvent.get(e) !== random.answers[i]).length;
    const versions = new Set(ordered.answers.map((a) => a.split(' ')[0])).size;

    process.stdout.write(
      table(
        `snapshot history: ${count(DAYS)} daily real-feed snapshots (${count(base.stats.rangesV4)} IPv4 + ${count(base.stats.rangesV6)} IPv6 ranges each), ${count(EVENTS)} access events over those days, cache ${DEFAULT_HISTORY_CACHE}`,
        [
          { figure: 'filing, CPU per snapshot', iprisk: ms(fileCpu / DAYS), baseline: ms(writeCpu / DAYS), ratio: ratio(fileCpu / writeCpu), aim: 'baseline: writeSnapshot of the same data' },
          {
            figure: 'as-of enrich, time order',
            iprisk: rate(EVENTS / (ordered.cpu / 1000)),
            baseline: rate(EVENTS / (single.cpu / 1000)),
            ratio: ratio(single.cpu / ordered.cpu),
            aim: `baseline: one Enricher, one snapshot; ${count(orderedLoads)} snapshot loads`,
          },
          {
            figure: 'memory held, time order',
            iprisk: mib(ordered.peakHeld - before),
            baseline: mib(oneSnapshotBytes),
            ratio: ratio((ordered.peakHeld - before) / oneSnapshotBytes),
            aim: `baseline: one snapshot loaded; at most ${DEFAULT_HISTORY_CACHE} held`,
          },
          {
            figure: `as-of enrich, random order (${count(RANDOM_EVENTS)} events)`,
            iprisk: rate(RANDOM_EVENTS / (random.cpu / 1000)),
            baseline: rate(EVENTS / (ordered.cpu / 1000)),
            ratio: ratio(RANDOM_EVENTS / random.cpu / (EVENTS / ordered.cpu)),
            aim: `baseline: time order; ${count(randomHistory.loads)} snapshot loads`,
          },
        ],
        [`random order answers differing from time order: ${count(mismatches)} (must be 0); ${count(versions)} snapshot versions answered`],
      ),
    );
    if (mismatches > 0) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
