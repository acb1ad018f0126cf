import { cloudSignals } from './cloud.js';
import { collectPrefixes, isJsonObject, parseJsonDocument, requireArray } from './json-feed.js';
import type { JsonPrefix } from './json-feed.js';
import type { Signals } from '../security/record.js';
import type { FeedInput, FeedParseResult, FeedParser } from './types.js';

/**
 * Google's prefix-list shape, shared by cloud.json and its crawler files (googlebot.json and
 * the others): `prefixes[]` each with an `ipv4Prefix` or an `ipv6Prefix`. `what` names the file
 * in the message when the document is not of that shape.
 */
export function readGooglePrefixes(input: FeedInput, what: string, signals: Signals): FeedParseResult {
  const { doc, text } = parseJsonDocument(input, what);
  const prefixes: JsonPrefix[] = requireArray(input, doc, 'prefixes', what).map((item, i) => {
    if (!isJsonObject(item)) return { path: `prefixes[${i}]`, value: item };
    if (item.ipv4Prefix !== undefined) return { path: `prefixes[${i}].ipv4Prefix`, value: item.ipv4Prefix };
    return { path: `prefixes[${i}].ipv6Prefix`, value: item.ipv6Prefix };
  });
  return collectPrefixes(input, text, prefixes, signals);
}

/** Google's cloud.json: every prefix is Google Cloud customer space. */
export const parseGcp: FeedParser = (input) => readGooglePrefixes(input, 'a Google Cloud cloud.json', cloudSignals(input.source, 'gcp'));
