import { IpriskError, errorMessage } from '../errors.js';
import { parseNetworks } from '../ip/network.js';
import type { Signals } from '../security/record.js';
import { EntryCollector } from './collector.js';
import { isJsonObject } from './json-feed.js';
import type { JsonObject } from './json-feed.js';
import { IGNORED_FIELD, isSignalField, setFieldFromJson } from './signal-fields.js';
import { textLines } from './text.js';
import type { FeedParser } from './types.js';

/** Reads the security fields of `obj` into `signals`; `top` also holds `network` and `security`. */
function readFields(obj: JsonObject, signals: Signals, errors: string[], top: boolean): void {
  for (const [key, value] of Object.entries(obj)) {
    if (top && (key === 'network' || key === 'security')) continue;
    if (key === IGNORED_FIELD) continue;
    if (!isSignalField(key)) {
      errors.push(`unknown field '${top ? key : `security.${key}`}'`);
      continue;
    }
    const error = setFieldFromJson(signals, key, value);
    if (error !== undefined) errors.push(error);
  }
}

/**
 * The canonical iprisk JSONL: one object a line, `network` plus the security fields at top
 * level or under `security` (an ipgeolocation answer's shape), with JSON's own types. Each line
 * stands alone, so a bad field costs that line only; a file with no JSON object at all is not
 * JSONL.
 */
export const parseIpriskJsonl: FeedParser = (input) => {
  const out = new EntryCollector(input.file, { dedupe: false });
  const lines = textLines(input.data);
  let objects = 0;
  let dataLines = 0;
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i]!.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    dataLines++;
    let obj: unknown;
    try {
      obj = JSON.parse(trimmed);
    } catch (err) {
      out.problem(i + 1, `not JSON: ${errorMessage(err)}`);
      continue;
    }
    if (!isJsonObject(obj)) {
      out.problem(i + 1, 'not a JSON object');
      continue;
    }
    objects++;
    const signals: Signals = {};
    const errors: string[] = [];
    readFields(obj, signals, errors, true);
    if (obj.security !== undefined) {
      if (isJsonObject(obj.security)) readFields(obj.security, signals, errors, false);
      else errors.push('security: not an object');
    }
    if (typeof obj.network !== 'string' || obj.network.trim() === '') errors.unshift('network: missing or not a string');
    if (errors.length > 0) {
      out.problem(i + 1, errors.join('; '));
      continue;
    }
    try {
      out.addAll(parseNetworks(obj.network as string), Object.freeze(signals));
    } catch (err) {
      out.problem(i + 1, `network: ${errorMessage(err)}`);
    }
  }
  if (dataLines > 0 && objects === 0) {
    throw new IpriskError('FEED_UNREADABLE', `${input.file}: not iprisk JSONL: no line is a JSON object`);
  }
  return out.result();
};
