import { readAddressList } from './address-list.js';
import { textLines } from './text.js';
import type { FeedParser } from './types.js';

export const ICLOUD_RELAY_PROVIDER = 'iCloud Private Relay';

/**
 * Apple's egress-ip-ranges.csv (`prefix,country,region,city,`, no header) and the prefix-only
 * lists derived from it: the prefix is the first field either way.
 */
export const parseIcloudRelay: FeedParser = (input) =>
  readAddressList(
    input,
    textLines(input.data),
    Object.freeze({ is_relay: true, relay_provider_name: input.source.provider ?? ICLOUD_RELAY_PROVIDER }),
  );
