import { cloudSignals } from './cloud.js';
import { collectPrefixes, isJsonObject, parseJsonDocument, requireArray } from './json-feed.js';
import type { JsonPrefix } from './json-feed.js';
import type { FeedParser } from './types.js';

const WHAT = 'an Oracle public_ip_ranges.json';

function* regionCidrs(regions: readonly unknown[]): Generator<JsonPrefix> {
  for (let i = 0; i < regions.length; i++) {
    const region = regions[i];
    const cidrs = isJsonObject(region) ? region.cidrs : undefined;
    if (!Array.isArray(cidrs)) {
      yield { path: `regions[${i}].cidrs`, value: cidrs ?? null };
      continue;
    }
    for (let k = 0; k < cidrs.length; k++) {
      const item: unknown = cidrs[k];
      yield { path: `regions[${i}].cidrs[${k}].cidr`, value: isJsonObject(item) ? item.cidr : item };
    }
  }
}

/** Oracle's public_ip_ranges.json: `regions[].cidrs[].cidr`. */
export const parseOracle: FeedParser = (input) => {
  const { doc, text } = parseJsonDocument(input, WHAT);
  return collectPrefixes(input, text, regionCidrs(requireArray(input, doc, 'regions', WHAT)), cloudSignals(input.source, 'oracle'));
};
