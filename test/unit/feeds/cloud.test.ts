import { describe, expect, it } from 'vitest';
import { fixture, sharedData } from '../../helpers/paths.js';
import { byNetwork, dataLines, familyCount, load, readText, unreadable } from './support.js';

interface Json {
  [key: string]: unknown;
}

function json(file: string): Json {
  return JSON.parse(readText(file)) as Json;
}

function field(items: unknown, key: string): string[] {
  return (items as Json[]).map((item) => item[key] as string);
}

describe('cloud ranges', () => {
  it('reads every distinct AWS prefix of ip-ranges.json as Amazon Web Services', async () => {
    const file = sharedData('cloud/aws/ip-ranges.json');
    const doc = json(file);
    const loaded = await load('aws', file);
    expect(loaded.problems).toEqual([]);
    expect(familyCount(loaded.entries, 4)).toBe(new Set(field(doc.prefixes, 'ip_prefix')).size);
    expect(familyCount(loaded.entries, 6)).toBe(new Set(field(doc.ipv6_prefixes, 'ipv6_prefix')).size);
    expect(byNetwork(loaded.entries).get('3.4.12.4/32')).toEqual({ is_cloud_provider: true, cloud_provider_name: 'Amazon Web Services' });
  });

  it('reads the ipv4Prefix and ipv6Prefix entries of Google cloud.json', async () => {
    const file = sharedData('cloud/gcp/cloud.json');
    const prefixes = json(file).prefixes as Json[];
    const loaded = await load('gcp', file);
    expect(loaded.problems).toEqual([]);
    expect(familyCount(loaded.entries, 4)).toBe(prefixes.filter((p) => 'ipv4Prefix' in p).length);
    expect(familyCount(loaded.entries, 6)).toBe(prefixes.filter((p) => 'ipv6Prefix' in p).length);
    expect(byNetwork(loaded.entries).get('34.1.208.0/20')).toEqual({ is_cloud_provider: true, cloud_provider_name: 'Google Cloud' });
  });

  it('keeps each Azure prefix once although service tags repeat it', async () => {
    const file = sharedData('cloud/azure/ServiceTags_Public.json');
    const all = (json(file).values as { properties: { addressPrefixes: string[] } }[]).flatMap((v) => v.properties.addressPrefixes);
    const distinct = new Set(all);
    const loaded = await load('azure', file);
    expect(loaded.problems).toEqual([]);
    expect(distinct.size).toBeLessThan(all.length);
    expect(familyCount(loaded.entries, 4)).toBe([...distinct].filter((p) => !p.includes(':')).length);
    expect(familyCount(loaded.entries, 6)).toBe([...distinct].filter((p) => p.includes(':')).length);
    expect(byNetwork(loaded.entries).get('4.145.74.52/30')).toEqual({ is_cloud_provider: true, cloud_provider_name: 'Microsoft Azure' });
  });

  it('names Cloudflare as ipgeolocation does for both of its lists', async () => {
    for (const name of ['ips-v4', 'ips-v6']) {
      const file = sharedData('cloud/cloudflare', name);
      const loaded = await load('cloudflare', file);
      expect(loaded.problems).toEqual([]);
      expect(loaded.entries).toHaveLength(dataLines(file).length);
    }
    const v4 = await load('cloudflare', sharedData('cloud/cloudflare/ips-v4'));
    expect(byNetwork(v4.entries).get('131.0.72.0/22')).toEqual({ is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc.' });
    const v6 = await load('cloudflare', sharedData('cloud/cloudflare/ips-v6'));
    expect(byNetwork(v6.entries).get('2c0f:f248::/32')).toEqual({ is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc.' });
  });

  it('reads the cidrs of every Oracle region', async () => {
    const file = sharedData('cloud/oracle/public_ip_ranges.json');
    const cidrs = (json(file).regions as { cidrs: { cidr: string }[] }[]).flatMap((r) => r.cidrs.map((c) => c.cidr));
    const loaded = await load('oracle', file);
    expect(loaded.problems).toEqual([]);
    expect(loaded.entries).toHaveLength(new Set(cidrs).size);
    expect(byNetwork(loaded.entries).get('129.80.0.0/16')).toEqual({
      is_cloud_provider: true,
      cloud_provider_name: 'Oracle Cloud Infrastructure',
    });
  });

  it('lets the source rename the provider', async () => {
    const loaded = await load('gcp', sharedData('cloud/gcp/cloud.json'), { provider: 'GCP' });
    expect(byNetwork(loaded.entries).get('34.1.208.0/20')).toEqual({ is_cloud_provider: true, cloud_provider_name: 'GCP' });
  });

  it('reports a bad AWS prefix at the line that writes it', async () => {
    const file = fixture('feeds/aws-broken.json');
    const loaded = await load('aws', file);
    expect([...byNetwork(loaded.entries).keys()]).toEqual(['3.4.12.4/32', '2600:1f14::/35']);
    expect(loaded.problems.map((p) => [p.file, p.line])).toEqual([
      [file, 6],
      [file, 10],
    ]);
    expect(loaded.problems[0]!.message).toContain('prefixes[1].ip_prefix');
    expect(loaded.problems[1]!.message).toContain('ipv6_prefixes[1].ipv6_prefix');
  });

  it('throws FEED_UNREADABLE naming the file for an aws source that is not JSON', async () => {
    const file = fixture('feeds/not-json.json');
    const error = await unreadable(load('aws', file));
    expect(error.message).toContain(file);
    expect(error.message).toContain('not JSON');
  });

  it('throws FEED_UNREADABLE for JSON without the prefixes array', async () => {
    const file = fixture('feeds/aws-no-prefixes.json');
    const error = await unreadable(load('aws', file));
    expect(error.message).toContain(file);
    expect(error.message).toContain("'prefixes'");
  });

  it('throws FEED_UNREADABLE when an Azure file is given as Oracle', async () => {
    await unreadable(load('oracle', sharedData('cloud/azure/ServiceTags_Public.json')));
  });
});
