import { KNOWN_GOOD_SIGNALS } from './known-good.js';
import { readGooglePrefixes } from './gcp.js';
import type { FeedParser } from './types.js';

/**
 * Google's crawler range files (googlebot.json, special-crawlers.json,
 * user-triggered-fetchers.json), in cloud.json's shape. Their networks carry no signal of their
 * own: they are known-good, which the loader records for the index builder.
 */
export const parseGoogleCrawlers: FeedParser = (input) =>
  readGooglePrefixes(input, "a Google crawler ranges file (googlebot.json's shape)", KNOWN_GOOD_SIGNALS);
