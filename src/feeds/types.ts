import type { Network } from '../ip/network.js';
import type { Signals } from '../security/record.js';
import type { SourceConfig } from '../config/sources.js';

/** One network a feed lists, and what the feed says about it. */
export interface FeedEntry {
  network: Network;
  signals: Signals;
}

/** A line (or record) that could not be read: reported with file and line, then skipped. */
export interface FeedProblem {
  file: string;
  /** 1-based line number; for binary formats, the record ordinal. */
  line: number;
  message: string;
}

/** What a parser is handed: the source's config, its resolved file path and its bytes
 * (already gunzipped when the file was gzip). */
export interface FeedInput {
  source: SourceConfig;
  file: string;
  data: Buffer;
}

export interface FeedParseResult {
  entries: FeedEntry[];
  problems: FeedProblem[];
}

/** Parsers are pure over their input: no I/O. A file that is not of the format at all (not
 * JSON where JSON is expected, not an MMDB) throws FEED_UNREADABLE; a bad line is a problem. */
export type FeedParser = (input: FeedInput) => FeedParseResult;

/** A source read and parsed, ready for the index builder. */
export interface LoadedSource {
  name: string;
  format: SourceConfig['format'];
  file: string;
  entries: FeedEntry[];
  problems: FeedProblem[];
  /** Bytes read (after gunzip). */
  bytes: number;
  /** Known-good networks (meaning `benign`, SPEC section 12): the builder clears the abuse flags
   * other sources give its ranges. Absent: an ordinary source. */
  knownGood?: { provider: string };
}
