import { IpriskError, errorMessage } from '../errors.js';
import { parseNetworks } from '../ip/network.js';
import type { Signals } from '../security/record.js';
import { EntryCollector } from './collector.js';
import type { FeedInput, FeedParseResult } from './types.js';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as JSON text, for messages (JSON.stringify gives undefined for undefined). */
export function describeJson(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  return text ?? String(value);
}

/** The whole file as one JSON document; anything else is not this format at all. */
export function parseJsonDocument(input: FeedInput, what: string): { doc: JsonObject; text: string } {
  let text = input.data.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new IpriskError('FEED_UNREADABLE', `${input.file}: not ${what}: not JSON (${errorMessage(err)})`, { cause: err });
  }
  if (!isJsonObject(doc)) throw new IpriskError('FEED_UNREADABLE', `${input.file}: not ${what}: the JSON is not an object`);
  return { doc, text };
}

/** The array under `key`, which must be there for the file to be of the format. */
export function requireArray(input: FeedInput, doc: JsonObject, key: string, what: string): unknown[] {
  const value = doc[key];
  if (!Array.isArray(value)) {
    throw new IpriskError('FEED_UNREADABLE', `${input.file}: not ${what}: no '${key}' array`);
  }
  return value;
}

/** A prefix found at `path` in the document: the value as the file gives it. */
export interface JsonPrefix {
  path: string;
  value: unknown;
}

/**
 * JSON has no line numbers once parsed; problems point at the first line where the offending
 * value is written, which is where an operator would look.
 */
function lineOf(text: string, value: unknown): number {
  const needle = JSON.stringify(value) as string | undefined;
  const at = needle === undefined ? -1 : text.indexOf(needle);
  if (at < 0) return 1;
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Turns the prefixes a cloud file lists into entries with the provider's signals. */
export function collectPrefixes(input: FeedInput, text: string, prefixes: Iterable<JsonPrefix>, signals: Signals): FeedParseResult {
  const out = new EntryCollector(input.file, { dedupe: true });
  for (const { path, value } of prefixes) {
    if (typeof value !== 'string') {
      out.problem(lineOf(text, value), `${path}: expected a CIDR string, got ${describeJson(value)}`);
      continue;
    }
    try {
      out.addAll(parseNetworks(value), signals);
    } catch (err) {
      out.problem(lineOf(text, value), `${path}: ${errorMessage(err)}`);
    }
  }
  return out.result();
}
