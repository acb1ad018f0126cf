import { ApiError } from './api-error.js';
import { quoted } from './api-ip.js';

/** A bulk body needs depth 2; deeper bodies are refused before JSON.parse, which spends most
 * of a second on 3 MB of nested brackets (measured), stalling every other request. */
const MAX_DEPTH = 32;

/**
 * Deepest nesting of [ and { outside strings, scanning no further than needed to see it
 * passes `limit`. Linear and allocation-free: a few milliseconds for a 3 MB body.
 */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \\ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      depth--;
    }
  }
  return deepest;
}

const EXAMPLE = 'send a JSON object such as {"ips": ["2.56.188.34", "2.56.188.35"]}';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * The `ips` of a bulk request body, or a 400 naming what is wrong: empty body, not JSON, not
 * an object, `ips` missing, not an array, empty, or longer than `maxIps`. Entries are returned
 * as they are: a non-string entry is answered in place as malformed, not rejected here.
 * Duplicate keys follow JSON.parse: the last `ips` wins.
 */
export function parseBulkBody(text: string, maxIps: number): unknown[] {
  if (text.trim() === '') throw new ApiError(400, `The request body is empty: ${EXAMPLE}.`);
  const depth = nestingDepth(text, MAX_DEPTH);
  if (depth > MAX_DEPTH) throw new ApiError(400, `The request body nests arrays or objects more than ${MAX_DEPTH} levels deep: ${EXAMPLE}.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // V8's parser is iterative, but a RangeError on absurd input must still be a 400.
    const why = err instanceof Error ? err.message : String(err);
    throw new ApiError(400, `The request body is not valid JSON (${quoted(why)}): ${EXAMPLE}.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ApiError(400, `The request body must be a JSON object with an "ips" field, got ${describe(parsed)}: ${EXAMPLE}.`);
  }
  if (!Object.hasOwn(parsed, 'ips')) throw new ApiError(400, `The request body has no "ips" field: ${EXAMPLE}.`);
  const ips = (parsed as { ips: unknown }).ips;
  if (!Array.isArray(ips)) throw new ApiError(400, `"ips" must be an array of IP addresses, got ${describe(ips)}: ${EXAMPLE}.`);
  if (ips.length === 0) throw new ApiError(400, `"ips" is empty: pass between 1 and ${maxIps.toLocaleString('en-US')} IP addresses.`);
  if (ips.length > maxIps) {
    throw new ApiError(
      400,
      `"ips" holds ${ips.length.toLocaleString('en-US')} entries: at most ${maxIps.toLocaleString('en-US')} IP addresses are allowed per request.`,
    );
  }
  return ips;
}
