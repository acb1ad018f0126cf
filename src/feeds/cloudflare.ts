import { readAddressList } from './address-list.js';
import { cloudSignals } from './cloud.js';
import { textLines } from './text.js';
import type { FeedParser } from './types.js';

/** Cloudflare's ips-v4 / ips-v6: one CIDR a line, no trailing newline. */
export const parseCloudflare: FeedParser = (input) =>
  readAddressList(input, textLines(input.data), cloudSignals(input.source, 'cloudflare'));
