import { describe, expect, it } from 'vitest';
import { Enricher, detectKind } from '../../../src/enrich/enricher.js';
import type { LookupAnswer, LookupProvider, PublicIp } from '../../../src/enrich/lookup-provider.js';
import { DEFAULT_IP_FIELDS } from '../../../src/config/schema.js';
import { mergeSignals } from '../../../src/security/score.js';
import { indexOf, sourceOf } from '../../helpers/build-index.js';

const extraction = { ip_fields: [...DEFAULT_IP_FIELDS], xff_field: 'x_forwarded_for', trusted_proxies: [] };
const index = indexOf([
  sourceOf('tor', [['185.220.101.0/24', { is_tor: true }]]),
  sourceOf('cloud', [
    ['1.0.0.0/24', { is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc.' }],
    ['2606:4700::/32', { is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc.' }],
  ]),
]);

/** A real provider written for the test: answers from a fixed table and records what it was asked. */
class TableProvider implements LookupProvider {
  readonly name = 'table';
  readonly asked: string[][] = [];
  constructor(private readonly table: Record<string, LookupAnswer>) {}
  lookup(ips: readonly PublicIp[]): Promise<ReadonlyMap<string, LookupAnswer>> {
    this.asked.push(ips.map((i) => i.ip));
    return Promise.resolve(new Map(ips.flatMap((i) => (this.table[i.ip] ? [[i.ip, this.table[i.ip]!] as const] : []))));
  }
}

describe('enriching a batch of events', () => {
  it('attaches the index answer with its matched network and version', async () => {
    const enricher = new Enricher({ index: { current: index }, extraction, clock: () => 1_700_000_000_000 });
    const [out] = await enricher.enrich([{ client_ip: '185.220.101.7' }]);
    expect(out?.security?.is_tor).toBe(true);
    expect(out?.enrichment).toEqual({
      ip: '185.220.101.7',
      source: 'index',
      matched_network: '185.220.101.0/24',
      index_version: 'test',
      enriched_at: 1_700_000_000_000,
      stale: false,
    });
    expect(JSON.parse(out!.securityJson)).toEqual(out?.security);
  });

  it('answers private and bogon addresses without a security object', async () => {
    const enricher = new Enricher({ index: { current: index }, extraction });
    const [out] = await enricher.enrich([{ client_ip: '10.1.2.3' }]);
    expect(out?.security).toBeNull();
    expect(out?.enrichment.source).toBe('private');
    expect(out?.enrichment.ip).toBe('10.1.2.3');
  });

  it('answers missing and malformed addresses as invalid and keeps the event', async () => {
    const enricher = new Enricher({ index: { current: index }, extraction });
    const out = await enricher.enrich([{ client_ip: '-' }, { client_ip: '1.2.3.999' }, { nothing: true }]);
    expect(out.map((e) => e.enrichment.source)).toEqual(['invalid', 'invalid', 'invalid']);
    expect(out.map((e) => e.enrichment.ip)).toEqual(['-', '1.2.3.999', null]);
    expect(out.every((e) => e.security === null)).toBe(true);
  });

  it('answers a public address no source knows with the all-defaults record, source none', async () => {
    const enricher = new Enricher({ index: { current: index }, extraction });
    const [out] = await enricher.enrich([{ client_ip: '8.8.8.8' }]);
    expect(out?.enrichment.source).toBe('none');
    expect(out?.security).toEqual(mergeSignals([]));
  });

  it('looks IPv4-mapped and bracketed IPv6 forms up as the address they carry', async () => {
    const enricher = new Enricher({ index: { current: index }, extraction });
    const out = await enricher.enrich([{ client_ip: '::ffff:1.0.0.1' }, { client_ip: '[2606:4700:4700::1111]:443' }]);
    expect(out.map((e) => [e.enrichment.ip, e.enrichment.matched_network])).toEqual([
      ['1.0.0.1', '1.0.0.0/24'],
      ['2606:4700:4700::1111', '2606:4700::/32'],
    ]);
  });

  it('asks the fallback only for unique index misses, once per batch', async () => {
    const remote: LookupAnswer = { security: mergeSignals([{ is_vpn: true }]), source: 'remote', matchedNetwork: null, stale: false };
    const provider = new TableProvider({ '9.9.9.9': remote });
    const enricher = new Enricher({ index: { current: index }, extraction, fallback: provider });
    const out = await enricher.enrich([
      { client_ip: '9.9.9.9' },
      { client_ip: '9.9.9.9' },
      { client_ip: '185.220.101.1' },
      { client_ip: '8.8.8.8' },
      { client_ip: '10.0.0.1' },
    ]);
    expect(provider.asked).toEqual([['9.9.9.9', '8.8.8.8']]);
    expect(out.map((e) => e.enrichment.source)).toEqual(['remote', 'remote', 'index', 'none', 'private']);
    expect(out[0]?.security?.is_vpn).toBe(true);
  });

  it('marks index answers stale once the index is older than its max age', async () => {
    const old = indexOf([sourceOf('tor', [['185.220.101.0/24', { is_tor: true }]])], new Date(0));
    const enricher = new Enricher({ index: { current: old }, extraction, maxIndexAgeSecs: 3600 });
    const [out] = await enricher.enrich([{ client_ip: '185.220.101.1' }]);
    expect(out?.enrichment.stale).toBe(true);
  });

  it('uses one index for a whole batch even when the holder swaps mid-way', async () => {
    const holder = { current: index };
    const provider: LookupProvider = {
      name: 'swapper',
      lookup: () => {
        holder.current = indexOf([], new Date());
        return Promise.resolve(new Map());
      },
    };
    const enricher = new Enricher({ index: holder, extraction, fallback: provider });
    const out = await enricher.enrich([{ client_ip: '8.8.8.8' }, { client_ip: '185.220.101.1' }]);
    expect(out.map((e) => e.enrichment.index_version)).toEqual(['test', 'test']);
    expect(out[1]?.enrichment.source).toBe('index');
  });
});

describe('telling access from auth events', () => {
  it('reads the kind from the fields an event has', () => {
    expect(detectKind({ user: 'a', action: 'login', outcome: 'failure', ip: '1.1.1.1' })).toBe('auth');
    expect(detectKind({ method: 'GET', path: '/', status: 200, client_ip: '1.1.1.1' })).toBe('access');
    expect(detectKind({ event: { category: ['authentication'] } })).toBe('auth');
    expect(detectKind({})).toBe('access');
  });
});
