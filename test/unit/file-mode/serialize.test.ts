import { describe, expect, it } from 'vitest';
import { DEFAULT_IP_FIELDS } from '../../../src/config/schema.js';
import type { EnrichedEvent } from '../../../src/enrich/enricher.js';
import { Enricher } from '../../../src/enrich/enricher.js';
import { LineBatch, enrichedLine } from '../../../src/file-mode/serialize.js';
import { indexOf, sourceOf } from '../../helpers/build-index.js';

const extraction = { ip_fields: [...DEFAULT_IP_FIELDS], xff_field: 'x_forwarded_for', trusted_proxies: [] };
const index = indexOf([
  sourceOf('tor', [['185.220.101.0/24', { is_tor: true }]]),
  sourceOf('cloud', [['2606:4700::/32', { is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc. — “edge”' }]]),
]);

const EVENTS: Record<string, unknown>[] = [
  { client_ip: '185.220.101.7', path: '/login', n: 1 },
  { client_ip: '185.220.101.7', path: '/again', n: 2 },
  {},
  { client_ip: '[2606:4700::1111]:443', agent: 'Mozilla/5.0 (ünïcödé, 😀, \u2028 line separator)' },
  { ip: '10.0.0.1', security: 'overwritten', enrichment: { old: true }, keep: [1, { deep: null }] },
  { client_ip: '-', '1': 'integer-like key', b: 'after' },
  { client_ip: 'not an address" with quote', x: 1.5e300 },
  { client_ip: '8.8.8.8' },
  { client_ip: '185.220.101.7', n: 3 },
];

async function enriched(events: Record<string, unknown>[], clock = (): number => 1_700_000_000_000): Promise<EnrichedEvent[]> {
  return new Enricher({ index: { current: index }, extraction, clock }).enrich(events);
}

function batchText(items: readonly EnrichedEvent[], batch = new LineBatch(64)): string {
  for (const e of items) batch.addEnriched(e, JSON.stringify(e.enrichment.index_version));
  return batch.take().toString('utf8');
}

describe('writing a batch of enriched lines as bytes', () => {
  it('gives byte for byte the lines enrichedLine gives, one per event', async () => {
    const items = await enriched(EVENTS);
    const expected = items.map((e) => `${enrichedLine(e)}\n`).join('');
    expect(batchText(items)).toBe(expected);
  });

  it('keeps every input field and replaces security and enrichment', async () => {
    const items = await enriched(EVENTS);
    const lines = batchText(items).split('\n').slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(EVENTS.length);
    expect(lines[4]).toMatchObject({ ip: '10.0.0.1', keep: [1, { deep: null }], security: null });
    expect((lines[4]?.enrichment as Record<string, unknown>).source).toBe('private');
    expect(lines[3]?.agent).toBe(EVENTS[3]?.agent);
    expect((lines[0]?.security as Record<string, unknown>).is_tor).toBe(true);
    expect(lines[2]).toEqual({ security: null, enrichment: expect.objectContaining({ source: 'invalid' }) as unknown });
  });

  it('writes a repeated client\'s enrichment anew when any of its fields changed', async () => {
    const first = await enriched([{ client_ip: '185.220.101.7' }]);
    const e = first[0]!;
    const later: EnrichedEvent = { ...e, enrichment: { ...e.enrichment, stale: true, enriched_at: e.enrichment.enriched_at + 1 } };
    const text = batchText([e, later, e]);
    expect(text).toBe([e, later, e].map((x) => `${enrichedLine(x)}\n`).join(''));
    expect(text.split('\n').map((l) => (l ? (JSON.parse(l) as { enrichment: { stale: boolean } }).enrichment.stale : null))).toEqual([false, true, false, null]);
  });

  it('starts empty again after its bytes are taken, and grows past its first buffer', async () => {
    const items = await enriched(Array.from({ length: 300 }, (_, i) => ({ client_ip: `185.220.101.${i % 256}`, i })));
    const batch = new LineBatch(16);
    const text = batchText(items, batch);
    expect(text).toBe(items.map((e) => `${enrichedLine(e)}\n`).join(''));
    expect(batch.byteLength).toBe(0);
    expect(batchText(items.slice(0, 2), batch)).toBe(items.slice(0, 2).map((e) => `${enrichedLine(e)}\n`).join(''));
  });
});
