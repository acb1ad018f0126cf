import type { SourceConfig } from '../config/sources.js';
import type { Signals } from '../security/record.js';
import { KNOWN_GOOD_FORMATS, isKnownGoodFormat } from './formats.js';
import type { FeedEntry } from './types.js';

/**
 * What a known-good network says by itself: nothing. Its effect is on the other sources of its
 * ranges (the builder clears their abuse flags), and its name in the range's provenance.
 */
export const KNOWN_GOOD_SIGNALS: Signals = Object.freeze({});

/** The name a known-good source goes by: its `provider`, else its format's, else its own name. */
export function knownGoodProvider(source: Pick<SourceConfig, 'name' | 'format' | 'provider'>): string {
  if (source.provider !== undefined) return source.provider;
  return isKnownGoodFormat(source.format) ? KNOWN_GOOD_FORMATS[source.format] : source.name;
}

/**
 * A benign source's networks (isKnownGoodSource), whatever its format would say about them
 * (gcp: Google Cloud; an iprisk CSV row's flags): only the networks count.
 */
export function asKnownGood(entries: readonly FeedEntry[]): FeedEntry[] {
  return entries.map((entry) => ({ network: entry.network, signals: KNOWN_GOOD_SIGNALS }));
}
