import { describe, expect, it } from 'vitest';
import { fixture } from '../../helpers/paths.js';
import { byNetwork, load, unreadable } from './support.js';

describe('iprisk-csv', () => {
  it('reads each column into the field of the same name, an empty cell meaning not given', async () => {
    const loaded = await load('iprisk-csv', fixture('feeds/iprisk.csv'));
    const nets = byNetwork(loaded.entries);
    expect(nets.get('203.0.113.0/24')).toEqual({
      threat_score: 80,
      is_vpn: true,
      vpn_provider_names: ['NordVPN', 'Surfshark'],
      vpn_confidence_score: 90,
      vpn_last_seen: '2025-01-31',
      is_proxy: false,
      is_residential_proxy: false,
      is_tor: false,
      is_known_attacker: true,
    });
    expect(nets.get('198.51.100.7/32')).toEqual({ is_vpn: true, vpn_provider_names: ['ProtonVPN'] });
    expect(nets.get('2001:db8:abcd::/48')).toEqual({ threat_score: 5, is_cloud_provider: true, cloud_provider_name: 'Example Cloud, Inc.' });
    expect(nets.get('198.51.100.10/32')).toEqual({ is_relay: true, relay_provider_name: 'iCloud Private Relay' });
  });

  it('reads RFC 4180 quoted cells and splits a range into the CIDRs that cover it', async () => {
    const loaded = await load('iprisk-csv', fixture('feeds/iprisk.csv'));
    const nets = byNetwork(loaded.entries);
    const proxy = {
      is_proxy: true,
      proxy_provider_names: ['Quoted, with comma', 'He said "hi"'],
      proxy_confidence_score: 99,
      proxy_last_seen: '2024-02-29',
      is_residential_proxy: true,
      is_bot: false,
      is_spam: true,
    };
    expect(nets.get('192.0.2.10/31')).toEqual(proxy);
    expect(nets.get('192.0.2.12/31')).toEqual(proxy);
  });

  it('reports bad cells, a bad network and a short row with their line numbers', async () => {
    const file = fixture('feeds/iprisk.csv');
    const loaded = await load('iprisk-csv', file);
    expect(loaded.problems.map((p) => [p.file, p.line])).toEqual([
      [file, 7],
      [file, 8],
      [file, 9],
    ]);
    const [cells, network, short] = loaded.problems.map((p) => p.message);
    expect(cells).toContain("threat_score: '101'");
    expect(cells).toContain("is_vpn: 'maybe'");
    expect(cells).toContain("vpn_last_seen: '2025-13-01'");
    expect(network).toContain('not-a-network');
    expect(short).toContain('2 fields');
    expect(loaded.entries).toHaveLength(6);
  });

  it('refuses a file with an unknown column, naming the column and the file', async () => {
    const file = fixture('feeds/iprisk-unknown-column.csv');
    const error = await unreadable(load('iprisk-csv', file));
    expect(error.message).toContain("'colour'");
    expect(error.message).toContain(file);
  });

  it('refuses a CSV without a network column', async () => {
    const file = fixture('feeds/egress-ip-ranges.csv');
    await unreadable(load('iprisk-csv', file));
  });
});
