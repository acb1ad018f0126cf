import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FEED_FORMATS } from '../../../src/feeds/formats.js';
import { formatProblem, loadSource } from '../../../src/feeds/load.js';
import { withSourceOverrides } from '../../../src/feeds/overrides.js';
import { FEED_PARSERS, parserFor } from '../../../src/feeds/registry.js';
import { fixture, sharedData } from '../../helpers/paths.js';
import { byNetwork, failure, load, source } from './support.js';
import { tempDir as makeTempDir } from '../../helpers/temp-dir.js';

function tempDir(): string {
  return makeTempDir('iprisk-feeds-');
}

describe('loadSource', () => {
  it('resolves the path against the base folder and reports the bytes it read', async () => {
    const loaded = await loadSource(source('cloudflare', 'cloud/cloudflare/ips-v4'), sharedData());
    expect(loaded.name).toBe('test-cloudflare');
    expect(loaded.format).toBe('cloudflare');
    expect(loaded.file).toBe(sharedData('cloud/cloudflare/ips-v4'));
    expect(loaded.bytes).toBe(readFileSync(sharedData('cloud/cloudflare/ips-v4')).length);
  });

  it('gunzips a gzip file whatever its name and parses it as the plain file', async () => {
    const dir = tempDir();
    const plain = readFileSync(sharedData('tor/exit-addresses'));
    writeFileSync(path.join(dir, 'exit-addresses'), gzipSync(plain));
    const fromGzip = await loadSource(source('tor-exits', 'exit-addresses'), dir);
    const fromPlain = await load('tor-exits', sharedData('tor/exit-addresses'));
    expect(fromGzip.bytes).toBe(plain.length);
    expect(fromGzip.entries).toEqual(fromPlain.entries);
  });

  it('gunzips a gzip MMDB', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'anon.mmdb.gz'), gzipSync(readFileSync(sharedData('maxmind/GeoIP2-Anonymous-IP-Test.mmdb'))));
    const loaded = await loadSource(source('mmdb', 'anon.mmdb.gz'), dir);
    expect(byNetwork(loaded.entries).get('1.2.0.0/16')).toEqual({ is_vpn: true });
  });

  it('throws FEED_UNREADABLE naming the source and the file when the file is missing', async () => {
    const error = await failure(loadSource(source('netset', 'no/such/file.netset', { meaning: 'vpn', name: 'my-vpn' }), sharedData()));
    expect(error.code).toBe('FEED_UNREADABLE');
    expect(error.message).toContain("'my-vpn'");
    expect(error.message).toContain(sharedData('no/such/file.netset'));
  });

  it('throws FEED_UNREADABLE when the path is a folder', async () => {
    const error = await failure(loadSource(source('netset', 'tor', { meaning: 'tor' }), sharedData()));
    expect(error.code).toBe('FEED_UNREADABLE');
    expect(error.message).toContain(sharedData('tor'));
  });

  it('throws FEED_UNREADABLE for a file that starts like gzip but is not', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'broken.gz'), Buffer.from([0x1f, 0x8b, 0x00, 0x01, 0x02]));
    const error = await failure(loadSource(source('netset', 'broken.gz', { meaning: 'vpn' }), dir));
    expect(error.code).toBe('FEED_UNREADABLE');
    expect(error.message).toContain('broken.gz');
  });

  it('names the source when the file is not of its format', async () => {
    const error = await failure(loadSource(source('aws', 'not-json.json', { name: 'aws-ranges' }), fixture('feeds')));
    expect(error.code).toBe('FEED_UNREADABLE');
    expect(error.message).toContain("'aws-ranges'");
    expect(error.message).toContain(fixture('feeds/not-json.json'));
  });

  it('refuses a source that has only a url', async () => {
    const error = await failure(loadSource({ name: 'remote', format: 'aws', url: 'https://example.com/ip-ranges.json', enabled: true }, sharedData()));
    expect(error.code).toBe('FEED_UNREADABLE');
    expect(error.message).toContain("'remote'");
  });

  it('replaces the provider names an MMDB gives with the source provider and fills missing confidence', async () => {
    const loaded = await load('mmdb', sharedData('maxmind/GeoIP-Anonymous-Plus-Test.mmdb'), { provider: 'MaxMind', confidence: 60 });
    const nets = byNetwork(loaded.entries);
    expect(nets.get('1.2.0.1/32')).toEqual({
      is_vpn: true,
      vpn_provider_names: ['MaxMind'],
      vpn_confidence_score: 30,
      vpn_last_seen: '2025-04-14',
    });
    expect(nets.get('1.2.0.0/32')).toEqual({ is_vpn: true, vpn_provider_names: ['MaxMind'], vpn_confidence_score: 60 });
  });

  it('formats a problem as file:line: message', async () => {
    const loaded = await load('tor-exits', fixture('feeds/tordnsel-collector.txt'));
    expect(formatProblem(loaded.problems[1]!)).toBe(`${fixture('feeds/tordnsel-collector.txt')}:13: unexpected line in a TorDNSEL exit list: 'Bogus line'`);
  });
});

describe('source overrides', () => {
  it('rename every provider field a signal has and leave signals without one alone', () => {
    expect(withSourceOverrides({ is_tor: true, is_known_attacker: true }, 'X', 40)).toEqual({ is_tor: true, is_known_attacker: true });
    expect(withSourceOverrides({ is_proxy: true, is_residential_proxy: true, proxy_provider_names: ['a'] }, 'X', 40)).toEqual({
      is_proxy: true,
      is_residential_proxy: true,
      proxy_provider_names: ['X'],
      proxy_confidence_score: 40,
    });
    expect(withSourceOverrides({ is_relay: true, relay_provider_name: '' }, 'X', undefined)).toEqual({ is_relay: true, relay_provider_name: 'X' });
  });
});

describe('the parser registry', () => {
  it('has a parser for every feed format', () => {
    expect(Object.keys(FEED_PARSERS).sort()).toEqual([...FEED_FORMATS].sort());
    for (const format of FEED_FORMATS) expect(parserFor(format)).toBe(FEED_PARSERS[format]);
  });

  it('throws FEED_FORMAT_UNKNOWN for a format it does not know', () => {
    expect(() => parserFor('geojson')).toThrow(expect.objectContaining({ code: 'FEED_FORMAT_UNKNOWN' }));
  });
});
