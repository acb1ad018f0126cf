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
] as const;

export type FeedFormat = (typeof FEED_FORMATS)[number];
