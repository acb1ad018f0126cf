import { IpriskError } from '../errors.js';
import { parseAws } from './aws.js';
import { parseAzure } from './azure.js';
import { parseCloudflare } from './cloudflare.js';
import type { FeedFormat } from './formats.js';
import { FEED_FORMATS } from './formats.js';
import { parseGcp } from './gcp.js';
import { parseGoogleCrawlers } from './google-crawlers.js';
import { parseIcloudRelay } from './icloud-relay.js';
import { parseIpriskCsv } from './iprisk-csv.js';
import { parseIpriskJsonl } from './iprisk-jsonl.js';
import { parseMmdb } from './mmdb.js';
import { parseNetset } from './netset.js';
import { parseOracle } from './oracle.js';
import { parseTorExits } from './tor.js';
import type { FeedParser } from './types.js';

/** One parser per format; the Record type makes a format without a parser a compile error. */
export const FEED_PARSERS: Readonly<Record<FeedFormat, FeedParser>> = Object.freeze({
  mmdb: parseMmdb,
  'iprisk-csv': parseIpriskCsv,
  'iprisk-jsonl': parseIpriskJsonl,
  'tor-exits': parseTorExits,
  aws: parseAws,
  gcp: parseGcp,
  azure: parseAzure,
  cloudflare: parseCloudflare,
  oracle: parseOracle,
  'icloud-relay': parseIcloudRelay,
  netset: parseNetset,
  googlebot: parseGoogleCrawlers,
  'google-special-crawlers': parseGoogleCrawlers,
  'google-user-triggered-fetchers': parseGoogleCrawlers,
});

export function isFeedFormat(name: string): name is FeedFormat {
  return (FEED_FORMATS as readonly string[]).includes(name);
}

/** The parser of a format named at run time (configs are validated, but not every caller's are). */
export function parserFor(format: string): FeedParser {
  if (!isFeedFormat(format)) {
    throw new IpriskError('FEED_FORMAT_UNKNOWN', `feed format '${format}' is not one of ${FEED_FORMATS.join(', ')}`);
  }
  return FEED_PARSERS[format];
}
