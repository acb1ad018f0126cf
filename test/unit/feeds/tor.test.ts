import { describe, expect, it } from 'vitest';
import { fixture, sharedData } from '../../helpers/paths.js';
import { byNetwork, dataLines, familyCount, load, networksOf, readText } from './support.js';

describe('tor-exits', () => {
  it('takes every distinct ExitAddress of the TorDNSEL exit-addresses file', async () => {
    const file = sharedData('tor/exit-addresses');
    const loaded = await load('tor-exits', file);
    expect(loaded.problems).toEqual([]);
    const addresses = new Set([...readText(file).matchAll(/^ExitAddress (\S+) /gm)].map((m) => `${m[1]!}/32`));
    expect(networksOf(loaded.entries).sort()).toEqual([...addresses].sort());
    expect(byNetwork(loaded.entries).get('185.241.208.232/32')).toEqual({ is_tor: true });
  });

  it('reads the plain torbulkexitlist, one IP a line', async () => {
    const file = sharedData('tor/torbulkexitlist');
    const loaded = await load('tor-exits', file);
    expect(loaded.problems).toEqual([]);
    expect(networksOf(loaded.entries).sort()).toEqual(dataLines(file).map((ip) => `${ip}/32`).sort());
  });

  it('reads the FireHOL tor_exits ipset past its comment header', async () => {
    const file = sharedData('tor/tor_exits.ipset');
    const loaded = await load('tor-exits', file);
    expect(loaded.problems).toEqual([]);
    expect(loaded.entries).toHaveLength(dataLines(file).length);
    expect(byNetwork(loaded.entries).get('217.170.201.71/32')).toEqual({ is_tor: true });
  });

  it('reads the IPv6 exits of the doodad-labs list as plain IPv6 addresses', async () => {
    const file = sharedData('tor/doodad-labs_exit-nodes.txt');
    const loaded = await load('tor-exits', file);
    expect(loaded.problems).toEqual([]);
    const lines = dataLines(file);
    expect(familyCount(loaded.entries, 4)).toBe(lines.filter((l) => !l.includes(':')).length);
    expect(familyCount(loaded.entries, 6)).toBe(lines.filter((l) => l.includes(':')).length);
    expect(byNetwork(loaded.entries).get('2001:1620:51a1::101/128')).toEqual({ is_tor: true });
  });

  it('accepts the CollecTor header and bracketed IPv6, and reports bad lines by number', async () => {
    const file = fixture('feeds/tordnsel-collector.txt');
    const loaded = await load('tor-exits', file);
    expect(networksOf(loaded.entries)).toEqual(['185.241.208.232/32', '194.26.192.64/32', '2001:db8::5/128']);
    expect(loaded.problems.map((p) => [p.file, p.line])).toEqual([
      [file, 11],
      [file, 13],
    ]);
    expect(loaded.problems[0]!.message).toContain('194.26.192.999');
  });
});
