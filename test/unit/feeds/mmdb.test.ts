import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { Reader } from 'mmdb-lib';
import type { Response } from 'mmdb-lib';
import { describe, expect, it } from 'vitest';
import { mapMmdbRecord } from '../../../src/feeds/mmdb-records.js';
import type { FeedEntry } from '../../../src/feeds/types.js';
import { bigIntToWords, formatIPv4, formatIPv6 } from '../../../src/ip/address.js';
import type { Signals } from '../../../src/security/record.js';
import { fixture, sharedData } from '../../helpers/paths.js';
import { byNetwork, familyCount, load, unreadable } from './support.js';
import { tempDir } from '../../helpers/temp-dir.js';

type MaxMindFlags = Record<string, boolean | number | string>;

/** The JSON source of a MaxMind test database, keyed by canonical network text. IPv4 is written
 * either plainly or as `::a.b.c.d/n` with n counted in the 128-bit space. */
function sourceNetworks(name: string): Map<string, MaxMindFlags> {
  const list = JSON.parse(readFileSync(sharedData('maxmind', name), 'utf8')) as Record<string, MaxMindFlags>[];
  const out = new Map<string, MaxMindFlags>();
  for (const item of list) {
    for (const [key, flags] of Object.entries(item)) {
      const [addr = '', len = ''] = key.split('/');
      const prefix = Number(len);
      if (addr.startsWith('::') && addr.includes('.')) out.set(`${addr.slice(2)}/${prefix - 96}`, flags);
      else if (addr.includes('.')) out.set(key, flags);
      else out.set(`${ipaddr.IPv6.parse(addr).toRFC5952String()}/${prefix}`, flags);
    }
  }
  return out;
}

/** The mapping the brief states, written out independently of the parser. */
function expected(flags: MaxMindFlags, everyRecordResidential: boolean): Signals {
  const vpn = flags.is_anonymous_vpn === true;
  const residential = everyRecordResidential || flags.is_residential_proxy === true;
  const proxy = residential || flags.is_public_proxy === true;
  const s: Signals = {};
  const name = typeof flags.provider_name === 'string' ? [flags.provider_name] : undefined;
  const confidence = typeof flags.anonymizer_confidence === 'number' ? flags.anonymizer_confidence : undefined;
  const seen = typeof flags.network_last_seen === 'string' ? flags.network_last_seen : undefined;
  if (vpn) {
    s.is_vpn = true;
    if (name) s.vpn_provider_names = name;
    if (confidence !== undefined) s.vpn_confidence_score = confidence;
    if (seen !== undefined) s.vpn_last_seen = seen;
  }
  if (proxy) {
    s.is_proxy = true;
    if (residential) s.is_residential_proxy = true;
    if (name) s.proxy_provider_names = name;
    if (confidence !== undefined) s.proxy_confidence_score = confidence;
    if (seen !== undefined) s.proxy_last_seen = seen;
  }
  if (flags.is_tor_exit_node === true) s.is_tor = true;
  if (flags.is_hosting_provider === true) s.is_cloud_provider = true;
  return s;
}

function firstAddress(entry: FeedEntry): string {
  return entry.network.family === 4 ? formatIPv4(entry.network.first) : formatIPv6(bigIntToWords(entry.network.first));
}

const TEST_DATABASES = [
  ['GeoIP2-Anonymous-IP-Test', false],
  ['GeoIP-Anonymous-Plus-Test', false],
  ['GeoIP-Residential-Proxy-Test', true],
] as const;

describe('mmdb', () => {
  it.each(TEST_DATABASES)('enumerates every network of %s with its mapped flags', async (name, residential) => {
    const loaded = await load('mmdb', sharedData('maxmind', `${name}.mmdb`));
    expect(loaded.problems).toEqual([]);
    const source = sourceNetworks(`${name}.json`);
    const got = byNetwork(loaded.entries);
    for (const [network, flags] of source) {
      expect({ network, signals: got.get(network) }).toEqual({ network, signals: expected(flags, residential) });
    }
    expect(loaded.entries).toHaveLength(source.size);
  });

  it('emits IPv4 networks as IPv4, once, without the ::ffff:0:0/96 and 2002::/16 aliases', async () => {
    const loaded = await load('mmdb', sharedData('maxmind/GeoIP2-Anonymous-IP-Test.mmdb'));
    const nets = byNetwork(loaded.entries);
    expect(nets.get('81.2.69.0/24')).toEqual({
      is_vpn: true,
      is_proxy: true,
      is_residential_proxy: true,
      is_tor: true,
      is_cloud_provider: true,
    });
    expect(nets.get('abcd:1000::/112')).toEqual({ is_proxy: true });
    const aliased = loaded.entries.filter(
      (e) => e.network.family === 6 && (e.network.first >> 32n === 0xffffn || e.network.first >> 112n === 0x2002n),
    );
    expect(aliased).toEqual([]);
  });

  it('flags every network of the nextdns iCloud Private Relay database with the source meaning', async () => {
    const file = sharedData('relay/apple-icloud-private-relay/egress-ip-ranges.mmdb');
    const reader = new Reader<Response>(readFileSync(file));
    // The database does alias 2002::/16 to the IPv4 tree, so skipping aliases is exercised.
    expect(reader.get('2002:681c:1c00::')).toEqual(reader.get('104.28.28.0'));
    const loaded = await load('mmdb', file, { meaning: 'relay' });
    expect(loaded.problems).toEqual([]);
    // Leaf network counts as the shared/data README gives them.
    expect(familyCount(loaded.entries, 4)).toBe(9284);
    expect(familyCount(loaded.entries, 6)).toBe(18507);
    expect(new Set(loaded.entries.map((e) => JSON.stringify(e.signals)))).toEqual(
      new Set([JSON.stringify({ is_relay: true, relay_provider_name: '' })]),
    );
    // mmdb-lib's own point lookup finds a record at each network, with the same prefix length.
    const disagreeing = loaded.entries.filter((entry) => {
      const [record, prefix] = reader.getWithPrefixLength(firstAddress(entry));
      return record === null || prefix !== entry.network.prefix;
    });
    expect(disagreeing).toEqual([]);
  });

  it('names the relay provider when the source gives one', async () => {
    const file = sharedData('relay/apple-icloud-private-relay/egress-ip-ranges.mmdb');
    const loaded = await load('mmdb', file, { meaning: 'relay', provider: 'iCloud Private Relay' });
    expect(byNetwork(loaded.entries).get('104.28.28.0/27')).toEqual({ is_relay: true, relay_provider_name: 'iCloud Private Relay' });
  });

  it('adds a source meaning to the flags a record carries, keeping the record\'s own values', async () => {
    const file = sharedData('maxmind/GeoIP-Anonymous-Plus-Test.mmdb');
    const nets = byNetwork((await load('mmdb', file, { meaning: 'vpn', confidence: 50 })).entries);
    expect(nets.get('1.2.0.1/32')).toEqual({
      is_vpn: true,
      vpn_provider_names: ['foo'],
      vpn_confidence_score: 30,
      vpn_last_seen: '2025-04-14',
    });
    expect(nets.get('71.160.223.0/24')).toEqual({
      is_vpn: true,
      vpn_provider_names: [],
      vpn_confidence_score: 50,
      is_cloud_provider: true,
    });
  });

  it('maps ipgeolocation-style records field for field, at top level or under security', () => {
    const schema = { maxMind: false, allResidential: false };
    expect(mapMmdbRecord({ country: 'DE', threat_score: 45, is_proxy: true, proxy_provider_names: ['X'], is_anonymous: true }, schema)).toEqual({
      threat_score: 45,
      is_proxy: true,
      proxy_provider_names: ['X'],
    });
    expect(mapMmdbRecord({ security: { is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc.' } }, schema)).toEqual({
      is_cloud_provider: true,
      cloud_provider_name: 'Cloudflare, Inc.',
    });
    expect(mapMmdbRecord({ country: { iso_code: 'GB' } }, schema)).toEqual({});
    expect(mapMmdbRecord({ threat_score: 101 }, schema)).toContain('threat_score');
    expect(mapMmdbRecord({ is_anonymous_vpn: 'yes' }, schema)).toContain('is_anonymous_vpn');
  });

  it('throws FEED_UNREADABLE naming the file for a file that is not an MMDB', async () => {
    const file = fixture('feeds/variants.netset');
    const error = await unreadable(load('mmdb', file));
    expect(error.message).toContain(file);
  });

  it('throws FEED_UNREADABLE for a search tree that points outside the file', async () => {
    const data = readFileSync(sharedData('maxmind/GeoIP2-Anonymous-IP-Test.mmdb'));
    data.fill(0xff, 0, 7);
    const file = path.join(tempDir('iprisk-feeds-'), 'corrupt.mmdb');
    writeFileSync(file, data);
    const error = await unreadable(load('mmdb', file));
    expect(error.message).toContain('corrupt.mmdb');
  });
});
