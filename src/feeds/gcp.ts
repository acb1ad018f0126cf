import { cloudSignals } from './cloud.js';
import { collectPrefixes, isJsonObject, parseJsonDocument, requireArray } from './json-feed.js';
import type { JsonPrefix } from './json-feed.js';
import type { FeedParser } from './types.js';

const WHAT = 'a Google Cloud cloud.json';

/** Google's cloud.json: `prefixes[]` each with an `ipv4Prefix` or an `ipv6Prefix`. */
export const parseGcp: FeedParser = (input) => {
  const { doc, text } = parseJsonDocument(input, WHAT);
  const prefixes: JsonPrefix[] = requireArray(input, doc, 'prefixes', WHAT).map((item, i) => {
    if (!isJsonObject(item)) return { path: `prefixes[${i}]`, value: item };
    if (item.ipv4Prefix !== undefined) return { path: `prefixes[${i}].ipv4Prefix`, value: item.ipv4Prefix };
    return { path: `prefixes[${i}].ipv6Prefix`, value: item.ipv6Prefix };
  });
  return collectPrefixes(input, text, prefixes, cloudSignals(input.source, 'gcp'));
};
