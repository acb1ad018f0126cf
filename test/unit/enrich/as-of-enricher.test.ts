import { describe, expect, it } from 'vitest';
import { DEFAULT_IP_FIELDS } from '../../../src/config/schema.js';
import { AsOfEnricher } from '../../../src/enrich/as-of-enricher.js';
import type { EnrichedEvent } from '../../../src/enrich/enricher.js';
import { SnapshotHistory } from '../../../src/history/snapshot-history.js';
import { fileSnapshot } from '../../../src/history/store.js';
import { buildIndex } from '../../../src/range-index/build.js';
import type { LoadedSource } from '../../../src/feeds/types.js';
import { sourceOf } from '../../helpers/build-index.js';
import { tempDir as makeTempDir } from '../../helpers/temp-dir.js';

const extraction = { ip_fields: [...DEFAULT_IP_FIELDS], xff_field: 'x_forwarded_for', trusted_proxies: [] };
const clock = (): number => 1_800_000_000_000;
const tempDir = (): Promise<string> => Promise.resolve(makeTempDir('iprisk-asof-'));

async function historyOf(snapshots: readonly { validFrom: Date; version: string; sources: LoadedSource[] }[], cacheSize?: number): Promise<SnapshotHistory> {
  const dir = await tempDir();
  for (const s of snapshots) await fileSnapshot(dir, buildIndex(s.sources, { version: s.version }), { validFrom: s.validFrom });
  return SnapshotHistory.open(dir, cacheSize === undefined ? {} : { cacheSize });
}

const START = new Date('2025-06-01T00:00:00Z');
const BOUNDARY = new Date('2025-06-10T00:00:00Z');

describe('as-of enrichment over two snapshots', async () => {
  const history = await historyOf([
    { validFrom: START, version: 'before', sources: [sourceOf('vpn', [['5.1.0.0/16', { is_vpn: true }]])] },
    { validFrom: BOUNDARY, version: 'after', sources: [sourceOf('tor', [['185.220.101.0/24', { is_tor: true }]])] },
  ]);
  const enricher = new AsOfEnricher({ history, extraction, clock });
  const at = (ms: number, ip: string): Record<string, unknown> => ({ timestamp: new Date(ms).toISOString(), client_ip: ip });

  it('gives an event exactly at valid_from the new snapshot and one a millisecond earlier the old one', async () => {
    const [onBoundary, justBefore] = await enricher.enrich([at(BOUNDARY.getTime(), '185.220.101.7'), at(BOUNDARY.getTime() - 1, '185.220.101.7')]);
    expect(onBoundary!.security?.is_tor).toBe(true);
    expect(onBoundary!.enrichment).toMatchObject({ source: 'index', index_version: 'after', matched_network: '185.220.101.0/24', stale: false });
    expect(justBefore!.security?.is_tor).toBe(false);
    expect(justBefore!.enrichment).toMatchObject({ source: 'none', index_version: 'before', stale: false });
  });

  it('judges events older than the history by its oldest snapshot and marks them stale', async () => {
    const [old, oldPrivate] = await enricher.enrich([at(START.getTime() - 86_400_000, '5.1.2.3'), at(START.getTime() - 1, '10.1.2.3')]);
    expect(old!.security?.is_vpn).toBe(true);
    expect(old!.enrichment).toMatchObject({ source: 'index', index_version: 'before', stale: true });
    // Never looked up, so nothing about it can be stale.
    expect(oldPrivate!.enrichment).toMatchObject({ source: 'private', index_version: 'before', stale: false });
  });

  it('judges an event without a usable time by the newest snapshot', async () => {
    const [none, garbage] = await enricher.enrich([{ client_ip: '185.220.101.7' }, { client_ip: '185.220.101.7', timestamp: 'last tuesday' }]);
    expect(none!.enrichment).toMatchObject({ index_version: 'after', stale: false });
    expect(garbage!.enrichment).toMatchObject({ index_version: 'after', stale: false });
  });

  it('reads every time format the alert engine reads, and takes times the caller already has', async () => {
    const seconds = BOUNDARY.getTime() / 1000 - 60;
    const [epoch, clf, given] = await enricher.enrich(
      [{ ts: seconds, client_ip: '5.1.2.3' }, { time: '10/Jun/2025:02:00:00 +0200', client_ip: '5.1.2.3' }, { client_ip: '5.1.2.3' }],
      undefined,
      [null, null, BOUNDARY.getTime() - 5],
    );
    // The caller's times win: the first two have none, so they get the newest snapshot.
    expect(epoch!.enrichment.index_version).toBe('after');
    expect(clf!.enrichment.index_version).toBe('after');
    expect(given!.enrichment.index_version).toBe('before');
    const [own] = await enricher.enrich([{ time: '10/Jun/2025:01:59:59 +0200', client_ip: '5.1.2.3' }]);
    expect(own!.enrichment.index_version).toBe('before');
  });

  it('keeps input order and the kinds given across a batch split between snapshots', async () => {
    const times = [BOUNDARY.getTime() + 1, BOUNDARY.getTime() - 1, BOUNDARY.getTime() + 2, BOUNDARY.getTime() - 2];
    const events = times.map((t, i) => ({ ...at(t, '185.220.101.7'), n: i }));
    const out = await enricher.enrich(events, ['auth', 'access', 'access', 'auth']);
    expect(out.map((e) => e.event.n)).toEqual([0, 1, 2, 3]);
    expect(out.map((e) => e.kind)).toEqual(['auth', 'access', 'access', 'auth']);
    expect(out.map((e) => e.enrichment.index_version)).toEqual(['after', 'before', 'after', 'before']);
  });
});

describe('as-of enrichment with more snapshots than the cache holds', () => {
  const DAYS = 12;
  const CACHE = 3;
  const day = (k: number): number => Date.UTC(2025, 0, 1 + k);
  const snapshots = Array.from({ length: DAYS }, (_, k) => ({
    validFrom: new Date(day(k)),
    version: `day-${k}`,
    sources: [sourceOf('vpn', [[`5.${k}.0.0/16`, { is_vpn: true }]])],
  }));
  // Every day, a morning and an evening event from each day's VPN range: VPN only on its own day.
  const events = Array.from({ length: DAYS }, (_, k) =>
    [2, 20].flatMap((hour) => Array.from({ length: DAYS }, (_, j) => ({ timestamp: new Date(day(k) + hour * 3_600_000).toISOString(), client_ip: `5.${j}.1.1`, k, j }))),
  ).flat();

  /** A deterministic shuffle (a fixed LCG), so a failure can be reproduced. */
  function shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    let seed = 42;
    for (let i = out.length - 1; i > 0; i--) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const j = seed % (i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  async function run(input: readonly (typeof events)[number][], batch: number): Promise<{ answers: Map<string, unknown>; history: SnapshotHistory }> {
    const history = await historyOf(snapshots, CACHE);
    const enricher = new AsOfEnricher({ history, extraction, clock });
    const answers = new Map<string, unknown>();
    for (let i = 0; i < input.length; i += batch) {
      const out: EnrichedEvent[] = await enricher.enrich(input.slice(i, i + batch));
      for (const e of out) answers.set(`${String(e.event.timestamp)} ${String(e.event.client_ip)}`, { security: e.security, enrichment: e.enrichment });
      const held = Array.from({ length: DAYS }, (_, p) => history.isLoaded(p)).filter(Boolean).length;
      expect(held).toBeLessThanOrEqual(CACHE);
    }
    return { answers, history };
  }

  it('answers each event from its own day, in time order loading each snapshot once', async () => {
    const { answers, history } = await run(events, 20);
    expect(answers.size).toBe(events.length);
    for (const e of events) {
      const got = answers.get(`${e.timestamp} ${e.client_ip}`) as { security: { is_vpn: boolean }; enrichment: { index_version: string } };
      expect(got.enrichment.index_version).toBe(`day-${e.k}`);
      expect(got.security.is_vpn).toBe(e.j === e.k);
    }
    expect(history.loads).toBe(DAYS);
  });

  it('gives the same answers for the same events in random order', async () => {
    const inOrder = await run(events, 20);
    const random = await run(shuffled(events), 20);
    expect(random.answers).toEqual(inOrder.answers);
    // Random order costs reloads, never different answers.
    expect(random.history.loads).toBeGreaterThan(DAYS);
  });
});
