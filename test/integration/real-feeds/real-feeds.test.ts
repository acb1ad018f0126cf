import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import path from 'node:path';
import { buildFromConfig } from '../../../src/cli/open-index.js';
import { loadConfig } from '../../../src/config/load.js';
import { parseClientIp } from '../../../src/ip/client-ip.js';
import { CompiledRangeIndex } from '../../../src/range-index/range-index.js';
import type { IndexEntry } from '../../../src/range-index/types.js';
import type { SecurityRecord } from '../../../src/security/record.js';
import { REPO_ROOT, sharedData } from '../../helpers/paths.js';

// Every real feed of ../shared/data, built as a user would build it. The expectations below
// read the feed files directly with simple regular expressions and JSON, independently of the
// parsers under test: an address a feed lists must be answered with that feed among its
// sources and with the feed's meaning among its flags, unless it lies in bogon space.

let index: CompiledRangeIndex;

beforeAll(async () => {
  const loaded = loadConfig(path.join(REPO_ROOT, 'config', 'sources.shared-data.yaml'), {});
  const { data, sources } = await buildFromConfig(loaded, () => undefined);
  expect(sources.reduce((n, s) => n + s.problems.length, 0)).toBe(0);
  index = new CompiledRangeIndex(data);
}, 120_000);

function lookup(address: string): IndexEntry | undefined {
  const parsed = parseClientIp(address);
  if (parsed.kind !== 'public') return undefined;
  return parsed.family === 4 ? index.findV4(parsed.v4) : index.findV6(parsed.words);
}

/** Every n-th element, so each check covers the whole file without looking up all of it. */
function spread<T>(items: readonly T[], count: number): T[] {
  const step = Math.max(1, Math.floor(items.length / count));
  return items.filter((_, i) => i % step === 0);
}

const IPV4_AT_LINE_START = /^(\d{1,3}(?:\.\d{1,3}){3})(?:\/\d{1,2})?/;

function listedAddresses(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => IPV4_AT_LINE_START.exec(line.trim())?.[1])
    .filter((a): a is string => a !== undefined);
}

function expectListed(addresses: readonly string[], source: string, flag: keyof SecurityRecord): void {
  let checked = 0;
  for (const address of spread(addresses, 300)) {
    if (parseClientIp(address).kind !== 'public') continue;
    const entry = lookup(address);
    expect(entry?.sources, `${address} from ${source}`).toContain(source);
    expect(entry?.security[flag], `${address} ${flag}`).toBe(true);
    checked++;
  }
  expect(checked).toBeGreaterThan(Math.min(50, addresses.length / 2));
}

describe('an index built from the real feeds in ../shared/data', () => {
  it.each([
    ['tor-bulk-exit-list', 'tor/torbulkexitlist', 'is_tor'],
    ['firehol-tor-exits', 'tor/tor_exits.ipset', 'is_tor'],
    ['cloudflare-v4', 'cloud/cloudflare/ips-v4', 'is_cloud_provider'],
    ['icloud-relay-v4', 'relay/apple-icloud-private-relay/ipv4-ranges.txt', 'is_relay'],
    ['x4b-vpn-v4', 'vpn/x4bnet/output/vpn/ipv4.txt', 'is_vpn'],
    ['mullvad', 'vpn/x4bnet/input/vpn/ips/mullvadvpn.txt', 'is_vpn'],
    ['nordvpn', 'vpn/az0/nordvpn_api.txt', 'is_vpn'],
    ['socks-proxies', 'proxy/firehol/socks_proxy_7d.ipset', 'is_proxy'],
    ['mannfred-exits-v4', 'proxy/mannfred/proxy_exits_7d_ipv4.csv', 'is_proxy'],
    ['firehol-level1', 'abuse/firehol/firehol_level1.netset', 'is_known_attacker'],
    ['blocklist-de', 'abuse/firehol/blocklist_de.ipset', 'is_known_attacker'],
    ['botscout', 'abuse/firehol/botscout_7d.ipset', 'is_bot'],
    ['stopforumspam', 'abuse/firehol/stopforumspam_7d.ipset', 'is_spam'],
  ] as const)('answers the addresses %s lists with its meaning', (source, file, flag) => {
    expectListed(listedAddresses(sharedData(file)), source, flag);
  });

  it('answers every ExitAddress of the TorDNSEL list as a Tor exit', () => {
    const exits = [...readFileSync(sharedData('tor', 'exit-addresses'), 'utf8').matchAll(/^ExitAddress (\S+)/gm)].map((m) => m[1]!);
    expectListed(exits, 'tor-exit-addresses', 'is_tor');
  });

  it('answers AWS prefixes of both families as Amazon Web Services', () => {
    const feed = JSON.parse(readFileSync(sharedData('cloud', 'aws', 'ip-ranges.json'), 'utf8')) as {
      prefixes: { ip_prefix: string }[];
      ipv6_prefixes: { ipv6_prefix: string }[];
    };
    const v4 = feed.prefixes.map((p) => p.ip_prefix.split('/')[0]!);
    const v6 = feed.ipv6_prefixes.map((p) => p.ipv6_prefix.split('/')[0]!);
    expectListed(v4, 'aws', 'is_cloud_provider');
    expectListed(v6, 'aws', 'is_cloud_provider');
    const names = new Set(spread(v4, 100).map((a) => lookup(a)?.security.cloud_provider_name));
    expect(names).toContain('Amazon Web Services');
  });

  it('answers Azure, GCP and Oracle prefixes with their provider', () => {
    const azure = JSON.parse(readFileSync(sharedData('cloud', 'azure', 'ServiceTags_Public.json'), 'utf8')) as {
      values: { properties: { addressPrefixes: string[] } }[];
    };
    expectListed(azure.values.flatMap((v) => v.properties.addressPrefixes).map((p) => p.split('/')[0]!), 'azure', 'is_cloud_provider');
    const gcp = JSON.parse(readFileSync(sharedData('cloud', 'gcp', 'cloud.json'), 'utf8')) as { prefixes: { ipv4Prefix?: string; ipv6Prefix?: string }[] };
    expectListed(gcp.prefixes.map((p) => (p.ipv4Prefix ?? p.ipv6Prefix)!.split('/')[0]!), 'gcp', 'is_cloud_provider');
    const oracle = JSON.parse(readFileSync(sharedData('cloud', 'oracle', 'public_ip_ranges.json'), 'utf8')) as {
      regions: { cidrs: { cidr: string }[] }[];
    };
    expectListed(oracle.regions.flatMap((r) => r.cidrs.map((c) => c.cidr.split('/')[0]!)), 'oracle', 'is_cloud_provider');
  });

  it('answers the IPv6 relay and Tor lists', () => {
    const relay6 = readFileSync(sharedData('relay', 'apple-icloud-private-relay', 'ipv6-ranges.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => l.trim().split('/')[0]!);
    expectListed(relay6, 'icloud-relay-v6', 'is_relay');
    expect(lookup(relay6[0]!)?.security.relay_provider_name).toBe('iCloud Private Relay');
    const tor6 = readFileSync(sharedData('tor', 'doodad-labs_exit-nodes.txt'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.includes(':'));
    expectListed(tor6, 'doodad-tor-exits', 'is_tor');
  });

  it('never flags the bogon ranges FireHOL level1 lists', () => {
    const listed = readFileSync(sharedData('abuse', 'firehol', 'firehol_level1.netset'), 'utf8');
    for (const [cidr, probe] of [['10.0.0.0/8', '10.1.2.3'], ['192.168.0.0/16', '192.168.1.1'], ['224.0.0.0/3', '239.1.1.1'], ['127.0.0.0/8', '127.0.0.1']]) {
      expect(listed).toContain(cidr);
      const parsed = parseClientIp(probe!);
      expect(parsed.kind).toBe('bogon');
      if (parsed.kind === 'bogon' && parsed.family === 4) expect(index.findV4(parsed.v4)).toBeUndefined();
    }
  });

  it('answers an address exactly when some feed file lists a network holding it', () => {
    // Independent of the parsers: every IPv4 address or CIDR written anywhere in the feed files
    // (JSON included), checked for containment with ipaddr.js.
    const loaded = loadConfig(path.join(REPO_ROOT, 'config', 'sources.shared-data.yaml'), {});
    const written = loaded.config.sources.flatMap((s) =>
      [...readFileSync(path.resolve(loaded.baseDir, s.path!), 'utf8').matchAll(/(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d{1,2}))?(?![\d.])/g)]
        .filter((m) => ipaddr.IPv4.isValidFourPartDecimal(m[1]!))
        .map((m) => [ipaddr.IPv4.parse(m[1]!), Number(m[2] ?? 32)] as [ipaddr.IPv4, number]),
    );
    const probes = ['9.9.9.9', '8.8.8.8', '1.1.1.1', '4.2.2.2', '23.45.67.89', '45.83.64.1', '193.0.14.129', '2.56.188.34'];
    let listed = 0;
    for (const probe of probes) {
      const addr = ipaddr.IPv4.parse(probe);
      const held = written.some(([net, len]) => addr.match(net, len));
      if (held) listed++;
      expect(lookup(probe) !== undefined, `${probe} listed by a feed: ${held}`).toBe(held);
    }
    expect(listed).toBeGreaterThan(0);
    expect(listed).toBeLessThan(probes.length);
  });
});
