import type { FeedFormat } from '../feeds/formats.js';
import { isKnownGoodFormat } from '../feeds/formats.js';
import { BENIGN } from '../security/record.js';

/**
 * Where `iprisk index update` fetches a source that names no `url` of its own: the publisher's
 * official, stable address for the format. A source's `url` always wins.
 *
 * | format       | official URL                                             | publisher checksum |
 * | ------------ | -------------------------------------------------------- | ------------------ |
 * | tor-exits    | https://check.torproject.org/torbulkexitlist             | none               |
 * | aws          | https://ip-ranges.amazonaws.com/ip-ranges.json           | none (`syncToken` and `createDate` identify a version, they do not check bytes) |
 * | gcp          | https://www.gstatic.com/ipranges/cloud.json              | none (`syncToken`, `creationTime`) |
 * | cloudflare   | https://www.cloudflare.com/ips-v4                        | none               |
 * | oracle       | https://docs.oracle.com/iaas/tools/public_ip_ranges.json | none (`last_updated_timestamp`) |
 * | icloud-relay | https://mask-api.icloud.com/egress-ip-ranges.csv         | none               |
 * | googlebot    | https://developers.google.com/static/search/apis/ipranges/googlebot.json | none (`creationTime`) |
 * | google-special-crawlers | …/ipranges/special-crawlers.json              | none               |
 * | google-user-triggered-fetchers | …/ipranges/user-triggered-fetchers.json | none             |
 *
 * Cloudflare publishes IPv6 at https://www.cloudflare.com/ips-v6, a second file: declare it as a
 * second `cloudflare` source with that `url`. Formats missing here have no stable official
 * address (see NO_DEFAULT_URL) and are downloaded only when the source names a `url`.
 */
const OFFICIAL = {
  'tor-exits': 'https://check.torproject.org/torbulkexitlist',
  aws: 'https://ip-ranges.amazonaws.com/ip-ranges.json',
  gcp: 'https://www.gstatic.com/ipranges/cloud.json',
  cloudflare: 'https://www.cloudflare.com/ips-v4',
  oracle: 'https://docs.oracle.com/iaas/tools/public_ip_ranges.json',
  'icloud-relay': 'https://mask-api.icloud.com/egress-ip-ranges.csv',
  googlebot: 'https://developers.google.com/static/search/apis/ipranges/googlebot.json',
  'google-special-crawlers': 'https://developers.google.com/static/search/apis/ipranges/special-crawlers.json',
  'google-user-triggered-fetchers': 'https://developers.google.com/static/search/apis/ipranges/user-triggered-fetchers.json',
} as const satisfies Partial<Record<FeedFormat, string>>;

export const DEFAULT_FEED_URLS: Readonly<Partial<Record<FeedFormat, string>>> = Object.freeze(OFFICIAL);

/** Cloudflare's IPv6 list: not a default (one source, one file), named for the example config and docs. */
export const CLOUDFLARE_IPV6_URL = 'https://www.cloudflare.com/ips-v6';

/** Why a format has no default URL, for the line `index update` prints when it keeps such a source local. */
export const NO_DEFAULT_URL: Readonly<Record<Exclude<FeedFormat, keyof typeof OFFICIAL>, string>> = Object.freeze({
  azure:
    'Microsoft publishes Service Tags under a new dated name each week (ServiceTags_Public_YYYYMMDD.json, linked from https://www.microsoft.com/en-us/download/details.aspx?id=56519): set url to the current file',
  netset: 'a list has no publisher of its own: set url',
  mmdb: 'MMDB vendors need a licence key or ship archives: set url to a plain or gzip .mmdb download',
  'iprisk-csv': 'a local file: set url to download it',
  'iprisk-jsonl': 'a local file: set url to download it',
});

/**
 * A source of another format declared `meaning: benign` (a gcp-shaped crawler file, say) lists
 * other networks than its format's official feed: fetching that feed into it would mark all of
 * Google Cloud, where anyone can rent an address, as known-good.
 */
function borrowsFormat(format: FeedFormat, meaning: string | undefined): boolean {
  return meaning === BENIGN && !isKnownGoodFormat(format);
}

/** The URL a source is downloaded from: its own, else its format's official one, else none. */
export function feedUrlOf(source: { format: FeedFormat; url?: string | undefined; meaning?: string | undefined }): string | undefined {
  if (source.url !== undefined) return source.url;
  return borrowsFormat(source.format, source.meaning) ? undefined : DEFAULT_FEED_URLS[source.format];
}

/** Why a source without a `url` is not downloaded (undefined when it gets its format's default). */
export function noDefaultUrlReason(format: FeedFormat, meaning?: string): string | undefined {
  if (borrowsFormat(format, meaning) && DEFAULT_FEED_URLS[format] !== undefined) {
    return `a benign source lists its own networks, not the ${format} feed's: set url (Google's crawler files have formats of their own with official URLs: googlebot, google-special-crawlers, google-user-triggered-fetchers)`;
  }
  return DEFAULT_FEED_URLS[format] === undefined ? (NO_DEFAULT_URL as Partial<Record<FeedFormat, string>>)[format] : undefined;
}
