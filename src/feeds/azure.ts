import { cloudSignals } from './cloud.js';
import { collectPrefixes, isJsonObject, parseJsonDocument, requireArray } from './json-feed.js';
import type { JsonPrefix } from './json-feed.js';
import type { FeedParser } from './types.js';

const WHAT = 'an Azure ServiceTags JSON';

function* addressPrefixes(values: readonly unknown[]): Generator<JsonPrefix> {
  for (let i = 0; i < values.length; i++) {
    const tag = values[i];
    const list = isJsonObject(tag) && isJsonObject(tag.properties) ? tag.properties.addressPrefixes : undefined;
    if (!Array.isArray(list)) {
      yield { path: `values[${i}].properties.addressPrefixes`, value: list ?? null };
      continue;
    }
    for (let k = 0; k < list.length; k++) yield { path: `values[${i}].properties.addressPrefixes[${k}]`, value: list[k] as unknown };
  }
}

/** Azure Service Tags: `values[].properties.addressPrefixes[]`. A prefix repeats under every tag
 * that covers it (AzureCloud, the region tag, the service tag); the collector keeps it once. */
export const parseAzure: FeedParser = (input) => {
  const { doc, text } = parseJsonDocument(input, WHAT);
  const values = requireArray(input, doc, 'values', WHAT);
  return collectPrefixes(input, text, addressPrefixes(values), cloudSignals(input.source, 'azure'));
};
