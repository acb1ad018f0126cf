import { parseClientIp, unanswerableMessage } from '../ip/client-ip.js';
import type { RangeIndex } from '../range-index/types.js';
import type { SecurityAnswer } from '../security/projection.js';
import { Projection } from '../security/projection.js';
import type { SecurityRecord } from '../security/record.js';
import { emptySecurity } from '../security/record.js';

/** A public address no source knows: ipgeolocation answers it with the all-defaults record. */
export const NOTHING_KNOWN: Readonly<SecurityRecord> = Object.freeze(emptySecurity());
export const NOTHING_KNOWN_JSON = JSON.stringify(NOTHING_KNOWN);

/** One entry of a lookup or bulk answer: the security object, or the API's message object. */
export type ApiAnswer = SecurityAnswer | { message: string };

const IDENTITY = new Projection();

/**
 * Answers one address as ipgeolocation's API would: `{ip, security}` from the index (the
 * defaults when nothing is known), or `{message}` for bogon, private and malformed input.
 * `ip` echoes the address as given, trimmed, so callers can match answers to questions.
 */
export function answerFromIndex(text: string, index: RangeIndex, projection: Projection = IDENTITY): ApiAnswer {
  const given = text.trim();
  const parsed = parseClientIp(given);
  if (parsed.kind !== 'public') return { message: unanswerableMessage(parsed, given) };
  const entry = parsed.family === 4 ? index.findV4(parsed.v4) : index.findV6(parsed.words);
  return projection.apply(given, entry?.security ?? NOTHING_KNOWN);
}

/** Where an index answer came from: `iprisk lookup --explain`. */
export interface Provenance {
  /** The most specific network holding the address among those the sources listed; null: none. */
  matched_network: string | null;
  /** Every source that contributed, in config order; allowlists as `allowlist:<name>` after them. */
  sources: string[];
  /** The known-good ones among them (meaning benign, or the config's allowlist), with the
   * provider name each goes by: is_bot, is_spam and is_known_attacker were cleared for them. */
  known_good: { source: string; provider: string }[];
}

/** answerFromIndex's answer plus the provenance of a public address's answer. */
export function explainFromIndex(text: string, index: RangeIndex, projection: Projection = IDENTITY): ApiAnswer | (SecurityAnswer & { provenance: Provenance }) {
  const given = text.trim();
  const parsed = parseClientIp(given);
  if (parsed.kind !== 'public') return { message: unanswerableMessage(parsed, given) };
  const match = parsed.family === 4 ? index.matchV4(parsed.v4) : index.matchV6(parsed.words);
  const sources = match ? [...match.entry.sources] : [];
  const benign = new Map(index.stats.sources.flatMap((s) => (s.benign ? [[s.name, s.benign.provider] as const] : [])));
  return {
    ...projection.apply(given, match?.entry.security ?? NOTHING_KNOWN),
    provenance: {
      matched_network: match?.network ?? null,
      sources,
      known_good: sources.flatMap((source) => {
        const provider = benign.get(source);
        return provider === undefined ? [] : [{ source, provider }];
      }),
    },
  };
}
