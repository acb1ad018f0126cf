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
