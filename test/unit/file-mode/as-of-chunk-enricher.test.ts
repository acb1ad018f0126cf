import { describe, expect, it } from 'vitest';
import { AlertEngine } from '../../../src/alerts/engine.js';
import { alertsSchema } from '../../../src/alerts/rules-schema.js';
import { DEFAULT_IP_FIELDS } from '../../../src/config/schema.js';
import { AsOfEnricher } from '../../../src/enrich/as-of-enricher.js';
import { AsOfChunkEnricher } from '../../../src/file-mode/as-of-chunk-enricher.js';
import { SnapshotHistory } from '../../../src/history/snapshot-history.js';
import { fileSnapshot } from '../../../src/history/store.js';
import { buildIndex } from '../../../src/range-index/build.js';
import { sourceOf } from '../../helpers/build-index.js';
import { tempDir } from '../../helpers/temp-dir.js';

/**
 * File mode's as-of chunks must agree with the as-of layer the Kafka path uses (AsOfEnricher):
 * the same snapshot, verdict and stale flag per event, with ChunkEnricher's line numbering,
 * rejects and rule matches kept in input order.
 */

const extraction = { ip_fields: [...DEFAULT_IP_FIELDS], xff_field: 'x_forwarded_for', trusted_proxies: [] };
const alerts = new AlertEngine(alertsSchema.parse({}), { clock: () => 0 });
const START = '2025-06-01T00:00:00.000Z';
const BOUNDARY = '2025-06-10T00:00:00.000Z';

async function twoPeriodHistory(): Promise<SnapshotHistory> {
  const dir = tempDir('iprisk-asof-chunk-');
  await fileSnapshot(dir, buildIndex([sourceOf('vpn', [['5.1.0.0/16', { is_vpn: true }]])], { version: 'before' }), { validFrom: new Date(START) });
  await fileSnapshot(dir, buildIndex([sourceOf('tor', [['185.220.101.0/24', { is_tor: true }]])], { version: 'after' }), { validFrom: new Date(BOUNDARY) });
  return SnapshotHistory.open(dir, { cacheSize: 1 });
}

const lines = [
  JSON.stringify({ timestamp: BOUNDARY, client_ip: '185.220.101.7', user: 'a', outcome: 'failure' }),
  '',
  JSON.stringify({ timestamp: '2025-06-09T23:59:59.999Z', client_ip: '185.220.101.7', user: 'b', outcome: 'failure' }),
  '[1, 2]',
  `${JSON.stringify({ timestamp: '2025-05-01T00:00:00Z', client_ip: '5.1.2.3', user: 'c' })}\r`,
  JSON.stringify({ client_ip: '185.220.101.8', user: 'd', outcome: 'failure' }),
  JSON.stringify({ timestamp: '2025-05-01T00:00:00Z', client_ip: '192.168.1.1', user: 'e' }),
  '{}',
];

describe('as-of enrichment of a chunk of lines', () => {
  it('answers each line as the as-of layer does, in input order, with its own line numbers', async () => {
    const history = await twoPeriodHistory();
    const chunk = new AsOfChunkEnricher({ history, extraction, alerts, batchSize: 2 });
    const result = await chunk.enrich(Buffer.from(lines.join('\n'), 'utf8'));

    expect(result.lineCount).toBe(8);
    expect(result.lines).toBe(7);
    expect(result.events).toBe(6);
    expect(result.rejects).toEqual([{ line: 4, reason: 'not a JSON object: array', raw: '[1, 2]' }]);
    const out = Buffer.from(result.output).toString('utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.map((e) => e.user ?? null)).toEqual(['a', 'b', 'c', 'd', 'e', null]);

    const events = [0, 2, 4, 5, 6, 7].map((i) => JSON.parse(lines[i]!) as Record<string, unknown>);
    const expected = await new AsOfEnricher({ history, extraction }).enrich(events);
    out.forEach((line, i) => {
      expect(line.security).toEqual(expected[i]!.security);
      expect({ ...(line.enrichment as object), enriched_at: 0 }).toEqual({ ...expected[i]!.enrichment, enriched_at: 0 });
    });
    // Spelled out, so that a shared mistake of both layers would show.
    expect(out.map((e) => (e.enrichment as { index_version: string }).index_version)).toEqual(['after', 'before', 'before', 'after', 'before', 'after']);
    expect(out.map((e) => (e.enrichment as { stale: boolean }).stale)).toEqual([false, false, true, false, false, false]);
    expect(result.bySource).toMatchObject({ index: 3, none: 1, private: 1, invalid: 1 });
  });

  it('reports rule matches with the line numbers of the chunk, in order', async () => {
    const history = await twoPeriodHistory();
    const result = await new AsOfChunkEnricher({ history, extraction, alerts, batchSize: 4096, kind: 'auth' }).enrich(Buffer.from(lines.join('\n'), 'utf8'));
    // The Tor exit on an auth event (lines 1 and 6, in the period after the boundary); line 3
    // is the same address a millisecond too early.
    expect(result.matches.map((m) => [m.line, m.ip])).toEqual([
      [1, '185.220.101.7'],
      [6, '185.220.101.8'],
    ]);
  });
});
