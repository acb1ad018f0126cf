/** Every feed format `index build` reads (SPEC section 12). */
export const FEED_FORMATS = [
  'mmdb',
  'iprisk-csv',
  'iprisk-jsonl',
  'tor-exits',
  'aws',
  'gcp',
  'azure',
  'cloudflare',
  'oracle',
  'icloud-relay',
  'netset',
  'googlebot',
  'google-special-crawlers',
  'google-user-triggered-fetchers',
] as const;

export type FeedFormat = (typeof FEED_FORMATS)[number];

/**
 * Google's published crawler ranges: three files of the gcp shape, each its own format so that
 * `index update` knows each file's official URL. Their networks are known-good (meaning
 * `benign` whether declared or not); the value is the provider name they carry in provenance.
 */
export const KNOWN_GOOD_FORMATS = Object.freeze({
  googlebot: 'Googlebot',
  'google-special-crawlers': 'Google special crawlers',
  'google-user-triggered-fetchers': 'Google user-triggered fetchers',
} as const satisfies Partial<Record<FeedFormat, string>>);

export type KnownGoodFormat = keyof typeof KNOWN_GOOD_FORMATS;

export function isKnownGoodFormat(format: string): format is KnownGoodFormat {
  return Object.hasOwn(KNOWN_GOOD_FORMATS, format);
}
