import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertEngine } from '../../../src/alerts/engine.js';
import { alertsSchema } from '../../../src/alerts/rules-schema.js';
import { DEFAULT_IP_FIELDS } from '../../../src/config/schema.js';
import { Enricher } from '../../../src/enrich/enricher.js';
import { ChunkEnricher } from '../../../src/file-mode/chunk-enricher.js';
import { enrichedLine, eventFields } from '../../../src/file-mode/serialize.js';
import { accessEventRecord, authEventRecord, clientIpText } from '../../helpers/arbitraries.js';
import { indexOf, sourceOf } from '../../helpers/build-index.js';
import { params, timeoutMs } from '../../helpers/property.js';

/**
 * ChunkEnricher writes each line from the line's own text and a tail built once per client,
 * never re-serialising the event. Its output must be what the plain path gives: Enricher.enrich
 * on the parsed events and JSON.stringify of the merged object (enrichedLine), byte for byte
 * for lines that JSON.stringify wrote, and the same object when parsed back.
 */

const extraction = { ip_fields: [...DEFAULT_IP_FIELDS], xff_field: 'x_forwarded_for', trusted_proxies: [] };
const index = indexOf([
  sourceOf('sample', [
    ['2.56.188.34', { is_proxy: true, is_vpn: true, is_known_attacker: true, threat_score: 90 }],
    ['185.220.101.0/24', { is_tor: true }],
  ]),
  sourceOf('cloud', [['2606:4700::/32', { is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc. — “edge”' }]]),
]);
const alerts = new AlertEngine(alertsSchema.parse({}), { clock: () => 0 });

/** A clock that moves on at every read, so every batch has an enriched_at of its own. */
function ticking(): () => number {
  let t = 1_700_000_000_000;
  return () => (t += 1000);
}

const event = fc.oneof(
  { weight: 3, arbitrary: accessEventRecord },
  { weight: 2, arbitrary: authEventRecord },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }), fc.option(clientIpText), fc.option(fc.jsonValue({ maxDepth: 1 })))
      .map(([fields, ip, security]) => ({ ...fields, ...(ip === null ? {} : { client_ip: ip }), ...(security === null ? {} : { security }) })),
  },
  { weight: 1, arbitrary: fc.constant({}) },
);

/** The plain path: Enricher.enrich per batch, each line by JSON.stringify of the merged event. */
async function plainLines(events: readonly Record<string, unknown>[], batchSize: number): Promise<string[]> {
  const enricher = new Enricher({ index: { current: index }, extraction, clock: ticking() });
  const lines: string[] = [];
  for (let at = 0; at < events.length; at += batchSize) {
    for (const e of await enricher.enrich(events.slice(at, at + batchSize))) lines.push(enrichedLine(e));
  }
  return lines;
}

async function chunkLines(events: readonly Record<string, unknown>[], batchSize: number, chunks: number): Promise<string[]> {
  const enricher = new ChunkEnricher({ enricher: new Enricher({ index: { current: index }, extraction, clock: ticking() }), alerts, batchSize });
  // Chunks of whole batches, enriched by one ChunkEnricher in turn, as a worker does.
  const perChunk = Math.max(1, Math.ceil(events.length / batchSize / chunks)) * batchSize;
  const lines: string[] = [];
  for (let at = 0; at < events.length; at += perChunk) {
    const text = events.slice(at, at + perChunk).map((e) => `${JSON.stringify(e)}\n`).join('');
    const result = await enricher.enrich(Buffer.from(text, 'utf8'));
    expect(result.events).toBe(Math.min(perChunk, events.length - at));
    lines.push(...Buffer.from(result.output).toString('utf8').split('\n').slice(0, -1));
  }
  return lines;
}

describe('the chunk enricher against the plain path', () => {
  it(
    'writes byte for byte the lines of Enricher.enrich and JSON.stringify, which parse back to the merged object',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 }), async (events, batchSize, chunks) => {
          const plain = await plainLines(events, batchSize);
          const ours = await chunkLines(events, batchSize, chunks);
          expect(ours).toEqual(plain);
          const enriched = await new Enricher({ index: { current: index }, extraction, clock: () => 0 }).enrich(events);
          ours.forEach((line, i) => {
            const e = enriched[i]!;
            const merged = { ...eventFields(e.event), security: e.security, enrichment: { ...e.enrichment, enriched_at: 0 } };
            expect({ ...(JSON.parse(line) as object), enrichment: { ...(JSON.parse(line) as { enrichment: object }).enrichment, enriched_at: 0 } }).toEqual(JSON.parse(JSON.stringify(merged)));
          });
        }),
        params(61, 300),
      );
    },
    timeoutMs(5_000),
  );

  it('keeps answers from batch to batch but writes each batch its own enriched_at', async () => {
    const text = Array.from({ length: 6 }, () => '{"client_ip":"185.220.101.9"}\n').join('');
    const enricher = new ChunkEnricher({ enricher: new Enricher({ index: { current: index }, extraction, clock: ticking() }), alerts, batchSize: 2 });
    const lines = Buffer.from((await enricher.enrich(Buffer.from(text))).output).toString('utf8').trim().split('\n');
    const times = lines.map((l) => (JSON.parse(l) as { enrichment: { enriched_at: number } }).enrichment.enriched_at);
    expect(times).toEqual([1_700_000_001_000, 1_700_000_001_000, 1_700_000_002_000, 1_700_000_002_000, 1_700_000_003_000, 1_700_000_003_000]);
  });

  it('finds the rules an event matches, leaving suppression to the caller', async () => {
    const text = ['{"client_ip":"2.56.188.34","method":"GET"}', '{"ip":"185.220.101.9","user":"u","action":"login","outcome":"failure"}', '{"client_ip":"8.8.8.8"}', '{"client_ip":"2.56.188.34","method":"GET"}'].join('\n');
    const enricher = new ChunkEnricher({ enricher: new Enricher({ index: { current: index }, extraction }), alerts, batchSize: 100 });
    const result = await enricher.enrich(Buffer.from(text));
    const rules = alertsSchema.parse({}).rules.map((r) => r.id);
    expect(result.matches.map((m) => [m.line, m.kind, m.ip, m.rules.map((p) => rules[p])])).toEqual([
      [1, 'access', '2.56.188.34', ['high-threat-score']],
      // A Tor exit is anonymous too: both auth rules, in rule order.
      [2, 'auth', '185.220.101.9', ['auth-failure-from-anonymous-ip', 'tor-exit-auth']],
      [4, 'access', '2.56.188.34', ['high-threat-score']],
    ]);
    expect(alerts.counters().every((c) => c.emitted === 0 && c.suppressed === 0)).toBe(true);
  });
});
