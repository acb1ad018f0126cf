export { loadSource, formatProblem } from './load.js';
export { FEED_PARSERS, parserFor, isFeedFormat } from './registry.js';
export { CLOUD_PROVIDER_NAMES } from './cloud.js';
export { ICLOUD_RELAY_PROVIDER } from './icloud-relay.js';
export { FEED_FORMATS } from './formats.js';
export type { FeedFormat } from './formats.js';
export type { FeedEntry, FeedInput, FeedParseResult, FeedParser, FeedProblem, LoadedSource } from './types.js';
