import { describe, expect, it } from 'vitest';
import { fixture, sharedData } from '../../helpers/paths.js';
import { byNetwork, dataLines, familyCount, load } from './support.js';

const RELAY = { is_relay: true, relay_provider_name: 'iCloud Private Relay' };

describe('icloud-relay', () => {
  it('reads Apple egress-ip-ranges.csv in its original prefix,country,region,city form', async () => {
    const file = fixture('feeds/egress-ip-ranges.csv');
    const loaded = await load('icloud-relay', file);
    expect(loaded.problems).toEqual([]);
    const prefixes = dataLines(file).map((l) => l.split(',')[0]!);
    expect(familyCount(loaded.entries, 4)).toBe(prefixes.filter((p) => !p.includes(':')).length);
    expect(familyCount(loaded.entries, 6)).toBe(prefixes.filter((p) => p.includes(':')).length);
    const nets = byNetwork(loaded.entries);
    expect(nets.get('172.224.226.0/27')).toEqual(RELAY);
    expect(nets.get('2a02:26f7:b002:4000::/64')).toEqual(RELAY);
  });

  it.each(['ipv4-ranges.txt', 'ipv6-ranges.txt'])('reads the derived prefix-only list %s', async (name) => {
    const file = sharedData('relay/apple-icloud-private-relay', name);
    const loaded = await load('icloud-relay', file);
    expect(loaded.problems).toEqual([]);
    expect(loaded.entries).toHaveLength(new Set(dataLines(file)).size);
  });

  it('gives single addresses of the derived list as /32 relay entries', async () => {
    const loaded = await load('icloud-relay', sharedData('relay/apple-icloud-private-relay/ipv4-ranges.txt'));
    expect(byNetwork(loaded.entries).get('104.28.28.76/32')).toEqual(RELAY);
  });

  it('reports malformed rows with file and line and keeps the good ones', async () => {
    const file = fixture('feeds/egress-ip-ranges-broken.csv');
    const loaded = await load('icloud-relay', file);
    expect([...byNetwork(loaded.entries).keys()]).toEqual(['172.224.226.0/27', '2a02:26f7:b000:4000::/64']);
    expect(loaded.problems.map((p) => [p.file, p.line])).toEqual([
      [file, 2],
      [file, 4],
    ]);
  });

  it('lets the source name another relay provider', async () => {
    const loaded = await load('icloud-relay', fixture('feeds/egress-ip-ranges.csv'), { provider: 'Apple' });
    expect(byNetwork(loaded.entries).get('172.224.226.0/27')).toEqual({ is_relay: true, relay_provider_name: 'Apple' });
  });
});
