import { describe, expect, it } from 'vitest';
import { fixture } from '../../helpers/paths.js';
import { byNetwork, load, unreadable } from './support.js';

describe('iprisk-jsonl', () => {
  it('reads fields at top level and under security with their JSON types', async () => {
    const loaded = await load('iprisk-jsonl', fixture('feeds/iprisk.jsonl'));
    const nets = byNetwork(loaded.entries);
    expect(nets.get('203.0.113.0/24')).toEqual({
      threat_score: 80,
      is_vpn: true,
      vpn_provider_names: ['NordVPN'],
      vpn_confidence_score: 90,
      vpn_last_seen: '2025-01-31',
    });
    expect(nets.get('198.51.100.7/32')).toEqual({
      is_proxy: true,
      is_residential_proxy: true,
      proxy_provider_names: ['Bright Data'],
      proxy_confidence_score: 99,
    });
    expect(nets.get('2001:db8::/32')).toEqual({ is_cloud_provider: true, cloud_provider_name: 'Example Cloud' });
    expect(nets.get('192.0.2.1/32')).toEqual({ is_tor: true });
    expect(nets.get('192.0.2.2/32')).toEqual({ is_tor: true });
  });

  it('reports each bad line with its number and what is wrong', async () => {
    const file = fixture('feeds/iprisk.jsonl');
    const loaded = await load('iprisk-jsonl', file);
    expect(loaded.problems.map((p) => [p.file, p.line])).toEqual([
      [file, 5],
      [file, 6],
      [file, 7],
      [file, 8],
      [file, 9],
    ]);
    const messages = loaded.problems.map((p) => p.message);
    expect(messages[0]).toContain('threat_score: 101');
    expect(messages[1]).toContain("is_vpn: 'yes'");
    expect(messages[2]).toContain("unknown field 'colour'");
    expect(messages[3]).toContain('not JSON');
    expect(messages[4]).toContain('network');
  });

  it('refuses a file in which no line is a JSON object', async () => {
    const file = fixture('feeds/variants.netset');
    const error = await unreadable(load('iprisk-jsonl', file));
    expect(error.message).toContain(file);
  });
});
