import { cloudSignals } from './cloud.js';
import { collectPrefixes, isJsonObject, parseJsonDocument, requireArray } from './json-feed.js';
import type { JsonPrefix } from './json-feed.js';
import type { FeedParser } from './types.js';

const WHAT = 'an AWS ip-ranges.json';

/** AWS ip-ranges.json: `prefixes[].ip_prefix` and `ipv6_prefixes[].ipv6_prefix`. */
export const parseAws: FeedParser = (input) => {
  const { doc, text } = parseJsonDocument(input, WHAT);
  const v4 = requireArray(input, doc, 'prefixes', WHAT);
  const v6 = Array.isArray(doc.ipv6_prefixes) ? doc.ipv6_prefixes : [];
  const prefixes: JsonPrefix[] = [];
  v4.forEach((item, i) => {
    prefixes.push({ path: `prefixes[${i}].ip_prefix`, value: isJsonObject(item) ? item.ip_prefix : item });
  });
  v6.forEach((item: unknown, i) => {
    prefixes.push({ path: `ipv6_prefixes[${i}].ipv6_prefix`, value: isJsonObject(item) ? item.ipv6_prefix : item });
  });
  return collectPrefixes(input, text, prefixes, cloudSignals(input.source, 'aws'));
};
