import { describe, expect, it } from 'vitest';
import { fixture, sharedData } from '../../helpers/paths.js';
import { byNetwork, dataLines, familyCount, load, networksOf, unreadable } from './support.js';

/** Every plain list in shared/data that is a netset, with the meaning its README row gives. */
const LISTS = [
  ['abuse/firehol/firehol_level1.netset', 'attacker'],
  ['abuse/firehol/spamhaus_drop.netset', 'spam'],
  ['abuse/firehol/spamhaus_edrop.netset', 'spam'],
  ['abuse/firehol/blocklist_de.ipset', 'attacker'],
  ['abuse/firehol/greensnow.ipset', 'attacker'],
  ['abuse/firehol/blocklist_de_bots.ipset', 'bot'],
  ['abuse/firehol/botscout_7d.ipset', 'bot'],
  ['abuse/firehol/stopforumspam_7d.ipset', 'spam'],
  ['abuse/firehol/cleantalk_7d.ipset', 'spam'],
  ['proxy/firehol/socks_proxy_7d.ipset', 'proxy'],
  ['proxy/firehol/sslproxies_7d.ipset', 'proxy'],
  ['vpn/x4bnet/output/vpn/ipv4.txt', 'vpn'],
  ['vpn/x4bnet/output/vpn/ipv6.txt', 'vpn'],
  ['vpn/x4bnet/output/datacenter/ipv4.txt', 'cloud'],
  ['vpn/x4bnet/output/datacenter/ipv6.txt', 'cloud'],
  ['vpn/x4bnet/input/vpn/ips/mullvadvpn.txt', 'vpn'],
  ['vpn/x4bnet/input/vpn/ips/protonvpn.txt', 'vpn'],
  ['vpn/x4bnet/input/vpn/ips/pia.txt', 'vpn'],
  ['vpn/az0/nordvpn_api.txt', 'vpn'],
  ['vpn/az0/pia.txt', 'vpn'],
  ['vpn/az0/expressvpn.txt', 'vpn'],
  ['proxy/mannfred/proxy_exits_7d_ipv4.csv', 'proxy'],
  ['proxy/mannfred/proxy_exits_7d_ipv6.csv', 'proxy'],
  ['proxy/mannfred/proxy_subnets_7d_ipv4.csv', 'proxy'],
  ['proxy/mannfred/proxy_subnets_7d_ipv6.csv', 'proxy'],
  ['cloud/digitalocean/google.csv', 'cloud'],
  ['cloud/linode/geofeed.csv', 'cloud'],
] as const;

describe('netset lists', () => {
  it.each(LISTS)('reads %s with no problems and one entry per distinct listed address', async (file, meaning) => {
    const loaded = await load('netset', sharedData(file), { meaning });
    expect(loaded.problems).toEqual([]);
    // The address is the first whitespace- or comma-separated word of a data line; mannfred's
    // CSV header (`proxy exit ip,optional comment`) is all letters.
    const rows = dataLines(sharedData(file)).filter((l) => !/^[A-Za-z ]+,/.test(l));
    const distinct = new Set(rows.map((l) => l.split(/[\s,]/)[0]));
    expect(loaded.entries).toHaveLength(distinct.size);
  });

  it('keeps bogon ranges of firehol_level1 and flags them with the declared meaning', async () => {
    const loaded = await load('netset', sharedData('abuse/firehol/firehol_level1.netset'), { meaning: 'attacker' });
    const nets = byNetwork(loaded.entries);
    expect(nets.get('10.0.0.0/8')).toEqual({ is_known_attacker: true });
    expect(nets.get('224.0.0.0/3')).toEqual({ is_known_attacker: true });
  });

  it('strips inline comments and names the provider the source declares', async () => {
    const loaded = await load('netset', sharedData('vpn/az0/pia.txt'), { meaning: 'vpn', provider: 'Private Internet Access' });
    expect(byNetwork(loaded.entries).get('95.181.238.9/32')).toEqual({ is_vpn: true, vpn_provider_names: ['Private Internet Access'] });
  });

  it('fills the vpn confidence a plain list cannot carry from the source', async () => {
    const loaded = await load('netset', sharedData('vpn/x4bnet/output/vpn/ipv6.txt'), { meaning: 'vpn', confidence: 70 });
    expect(familyCount(loaded.entries, 6)).toBe(dataLines(sharedData('vpn/x4bnet/output/vpn/ipv6.txt')).length);
    expect(byNetwork(loaded.entries).get('2001:550:1d05::/48')).toEqual({ is_vpn: true, vpn_provider_names: [], vpn_confidence_score: 70 });
  });

  it('skips the CSV header of mannfred lists and reads the exit IP of each row', async () => {
    const file = sharedData('proxy/mannfred/proxy_exits_7d_ipv4.csv');
    const loaded = await load('netset', file, { meaning: 'proxy' });
    expect(loaded.problems).toEqual([]);
    const rows = dataLines(file).filter((l) => l !== 'proxy exit ip,optional comment');
    expect(loaded.entries).toHaveLength(new Set(rows.map((l) => l.split(',')[0])).size);
    expect(byNetwork(loaded.entries).get('99.10.78.134/32')).toEqual({ is_proxy: true, proxy_provider_names: [] });
  });

  it('reads mannfred IPv6 subnets once each although two rows repeat a subnet', async () => {
    const file = sharedData('proxy/mannfred/proxy_subnets_7d_ipv6.csv');
    const loaded = await load('netset', file, { meaning: 'proxy' });
    const subnets = new Set(dataLines(file).slice(1).map((l) => l.split(',')[0]));
    expect(subnets.size).toBeLessThan(dataLines(file).length - 1);
    expect(networksOf(loaded.entries).sort()).toEqual([...subnets].sort());
  });

  it('takes the host of every scheme://host:port line of monosans', async () => {
    const file = sharedData('proxy/monosans/all.txt');
    const loaded = await load('netset', file, { meaning: 'proxy', provider: 'monosans' });
    expect(loaded.problems).toEqual([]);
    const hosts = new Set(dataLines(file).map((l) => new URL(l).hostname));
    expect(networksOf(loaded.entries).sort()).toEqual([...hosts].map((h) => `${h}/32`).sort());
    expect(byNetwork(loaded.entries).get('144.31.222.106/32')).toEqual({ is_proxy: true, proxy_provider_names: ['monosans'] });
  });

  it('marks residential proxies as proxies too', async () => {
    const loaded = await load('netset', fixture('feeds/header.csv'), { meaning: 'residential_proxy' });
    expect(byNetwork(loaded.entries).get('192.0.2.1/32')).toEqual({ is_proxy: true, is_residential_proxy: true, proxy_provider_names: [] });
  });

  it('reads every address variant and reports each malformed line with its file and line number', async () => {
    const file = fixture('feeds/variants.netset');
    const loaded = await load('netset', file, { meaning: 'proxy' });
    expect(networksOf(loaded.entries)).toEqual([
      '1.2.3.4/32',
      '5.6.7.0/24',
      '10.0.0.1/32',
      '10.0.0.2/31',
      '2001:db8::1/128',
      '5.6.7.8/32',
      '9.9.9.9/32',
      '2001:db8:1::/48',
    ]);
    expect(loaded.problems.map((p) => [p.file, p.line])).toEqual([
      [file, 12],
      [file, 13],
      [file, 14],
      [file, 15],
    ]);
    expect(loaded.problems[0]!.message).toContain('300.1.1.1');
    expect(loaded.problems[3]!.message).toContain('proxy.example.com');
  });

  it('refuses a file in which no line is an address, such as an ASN list', async () => {
    const file = sharedData('vpn/x4bnet/input/vpn/ASN.txt');
    const error = await unreadable(load('netset', file, { meaning: 'vpn' }));
    expect(error.message).toContain(file);
  });
});
