import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../../src/config/load.js';
import { parseConfig } from '../../../src/config/load.js';
import { feedFileName, planUpdate } from '../../../src/update/plan.js';
import type { PlanOptions } from '../../../src/update/plan.js';
import { configProblems } from '../../helpers/config-problems.js';

const BASE = path.resolve('/srv/iprisk');

function loaded(raw: Record<string, unknown>): LoadedConfig {
  return { config: parseConfig({ index: { path: 'index.snap' }, ...raw }, 'test'), file: path.join(BASE, 'sources.yaml'), baseDir: BASE };
}

function problems(raw: Record<string, unknown>, options: PlanOptions = {}): readonly string[] {
  return configProblems(() => planUpdate(loaded(raw), options));
}

describe('planUpdate', () => {
  it('stores a url-only source under feeds/ beside the config, named after the source', () => {
    const plan = planUpdate(loaded({ sources: [{ name: 'aws', format: 'aws', url: 'https://ip-ranges.amazonaws.com/ip-ranges.json' }] }));
    expect(plan.feeds[0]).toMatchObject({ file: path.join(BASE, 'feeds', 'aws.json'), download: true, source: { path: path.join('feeds', 'aws.json') } });
    expect(plan.snapshot).toBe(path.join(BASE, 'index.snap'));
  });

  it('downloads a path-only source of a public format from its official URL', () => {
    const plan = planUpdate(loaded({ sources: [{ name: 'tor', format: 'tor-exits', path: 'data/exits.txt' }] }));
    expect(plan.feeds[0]).toMatchObject({ url: 'https://check.torproject.org/torbulkexitlist', file: path.join(BASE, 'data', 'exits.txt'), download: true });
  });

  it('keeps sources without any URL local and says why', () => {
    const plan = planUpdate(
      loaded({
        sources: [
          { name: 'vpn', format: 'netset', meaning: 'vpn', path: 'vpn.txt' },
          { name: 'azure', format: 'azure', path: 'ServiceTags_Public.json' },
          { name: 'off', format: 'aws', path: 'aws.json', enabled: false },
        ],
      }),
    );
    expect(plan.feeds.map((f) => [f.source.name, f.download])).toEqual([
      ['vpn', false],
      ['azure', false],
    ]);
    expect(plan.feeds[1]?.localReason).toContain('dated');
  });

  it("downloads Google's crawler files from their official URLs, and never a benign gcp-shaped list from Google Cloud's", () => {
    const plan = planUpdate(
      loaded({
        sources: [
          { name: 'googlebot', format: 'googlebot', path: 'googlebot.json' },
          { name: 'special', format: 'google-special-crawlers', path: 'special-crawlers.json' },
          { name: 'fetchers', format: 'google-user-triggered-fetchers', path: 'user-triggered-fetchers.json' },
          { name: 'crawlers', format: 'gcp', meaning: 'benign', provider: 'Googlebot', path: 'crawlers.json' },
        ],
      }),
    );
    expect(plan.feeds.map((f) => [f.source.name, f.url ?? null, f.download])).toEqual([
      ['googlebot', 'https://developers.google.com/static/search/apis/ipranges/googlebot.json', true],
      ['special', 'https://developers.google.com/static/search/apis/ipranges/special-crawlers.json', true],
      ['fetchers', 'https://developers.google.com/static/search/apis/ipranges/user-triggered-fetchers.json', true],
      // cloud.json (the gcp default) lists rentable Google Cloud space: taken as benign, it would
      // clear every attacker on Google Cloud.
      ['crawlers', null, false],
    ]);
    expect(plan.feeds[3]?.localReason).toMatch(/benign.*set url.*googlebot/);
  });

  it('takes -o relative to the working folder over index.path relative to the config', () => {
    const plan = planUpdate(loaded({ sources: [] }), { output: 'out.snap' });
    expect(plan.snapshot).toBe(path.resolve('out.snap'));
  });

  it('lists every problem of the command line and config at once', () => {
    const found = problems(
      {
        index: {},
        sources: [
          { name: 'ftp', format: 'netset', meaning: 'vpn', url: 'ftp://lists.example/vpn.txt' },
          { name: 'vpn', format: 'netset', meaning: 'vpn', path: 'vpn.txt' },
        ],
      },
      { only: ['vpn', 'nope'] },
    );
    expect(found).toEqual([
      'index.path: no snapshot to rebuild: pass -o FILE or set index.path',
      "--only: no source is named 'nope' (sources: ftp, vpn)",
      "sources.0.url: 'ftp://lists.example/vpn.txt' is not an http or https URL",
      "--only: source 'vpn' has no url to download from (sources.1.url): a list has no publisher of its own: set url",
    ]);
  });

  it('refuses several path-only sources that would all download the same official file', () => {
    const found = problems({
      sources: [
        { name: 'cloudflare-v4', format: 'cloudflare', path: 'ips-v4' },
        { name: 'cloudflare-v6', format: 'cloudflare', path: 'ips-v6' },
      ],
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("'cloudflare-v4', 'cloudflare-v6' name no url and would all download https://www.cloudflare.com/ips-v4");
  });

  it('accepts them once each names its own url, or when --only leaves the extra one out', () => {
    expect(() =>
      planUpdate(
        loaded({
          sources: [
            { name: 'cloudflare-v4', format: 'cloudflare', path: 'ips-v4' },
            { name: 'cloudflare-v6', format: 'cloudflare', path: 'ips-v6', url: 'https://www.cloudflare.com/ips-v6' },
          ],
        }),
      ),
    ).not.toThrow();
    const plan = planUpdate(
      loaded({
        sources: [
          { name: 'tor-bulk', format: 'tor-exits', path: 'a' },
          { name: 'tor-firehol', format: 'tor-exits', path: 'b' },
        ],
      }),
      { only: ['tor-bulk'] },
    );
    expect(plan.feeds.map((f) => f.download)).toEqual([true, false]);
  });

  it('refuses two downloads into one file', () => {
    const found = problems({
      sources: [
        { name: 'a', format: 'netset', meaning: 'vpn', url: 'https://lists.example/a.txt', path: 'list.txt' },
        { name: 'b', format: 'netset', meaning: 'vpn', url: 'https://lists.example/b.txt', path: 'list.txt' },
      ],
    });
    expect(found).toEqual([`sources.1.path: 'b' and 'a' both download into ${path.join(BASE, 'list.txt')}`]);
  });
});

describe('feedFileName', () => {
  it('keeps the extension of the URL file name so the file says what it is', () => {
    expect(feedFileName('aws', 'https://ip-ranges.amazonaws.com/ip-ranges.json')).toBe('aws.json');
    expect(feedFileName('cloudflare-v6', 'https://www.cloudflare.com/ips-v6')).toBe('cloudflare-v6');
    expect(feedFileName('tor', 'https://check.torproject.org/torbulkexitlist?x=1.txt')).toBe('tor');
    expect(feedFileName('level1', 'https://iplists.firehol.org/files/firehol_level1.netset')).toBe('level1.netset');
  });
});
