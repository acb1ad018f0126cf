import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FEED_FORMATS } from '../../../src/feeds/formats.js';
import { CLOUDFLARE_IPV6_URL, DEFAULT_FEED_URLS, feedUrlOf, noDefaultUrlReason } from '../../../src/update/default-urls.js';
import { sharedData } from '../../helpers/paths.js';

/** The shared data's README names each publisher's official feed URL: the source of truth here. */
const README = readFileSync(sharedData('README.md'), 'utf8');

describe('official feed URLs', () => {
  it('are the ones the publishers document, as recorded in the shared data README', () => {
    for (const url of [...Object.values(DEFAULT_FEED_URLS), CLOUDFLARE_IPV6_URL]) {
      expect(README, url).toContain(url);
    }
  });

  it('cover the public formats with a stable address and name why the others have none', () => {
    expect(Object.keys(DEFAULT_FEED_URLS).sort()).toEqual(['aws', 'cloudflare', 'gcp', 'google-special-crawlers', 'google-user-triggered-fetchers', 'googlebot', 'icloud-relay', 'oracle', 'tor-exits']);
    for (const format of FEED_FORMATS) {
      if (DEFAULT_FEED_URLS[format] === undefined) expect(noDefaultUrlReason(format), format).toMatch(/set url/);
      else expect(noDefaultUrlReason(format)).toBeUndefined();
    }
    expect(noDefaultUrlReason('azure')).toContain('ServiceTags_Public_YYYYMMDD.json');
  });

  it('give way to the url a source names', () => {
    expect(feedUrlOf({ format: 'aws' })).toBe('https://ip-ranges.amazonaws.com/ip-ranges.json');
    expect(feedUrlOf({ format: 'aws', url: 'https://mirror.example/ip-ranges.json' })).toBe('https://mirror.example/ip-ranges.json');
    expect(feedUrlOf({ format: 'azure' })).toBeUndefined();
    expect(feedUrlOf({ format: 'gcp', meaning: 'benign' })).toBeUndefined();
    expect(feedUrlOf({ format: 'gcp', meaning: 'benign', url: 'https://www.bing.com/toolbox/bingbot.json' })).toBe('https://www.bing.com/toolbox/bingbot.json');
    expect(feedUrlOf({ format: 'googlebot', meaning: 'benign' })).toBe('https://developers.google.com/static/search/apis/ipranges/googlebot.json');
  });
});
