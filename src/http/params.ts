import { ApiError } from './api-error.js';
import { quoted } from './api-ip.js';
import { FORBIDDEN_URL_CHARACTERS } from './serve-schema.js';

export type OutputFormat = 'json' | 'xml';

/** The query parameters the security endpoints read. Others (include, lang, ...) are ignored. */
export interface ApiParams {
  apiKey: string | undefined;
  /** Absent or empty: the caller's own address. */
  ip: string | undefined;
  fields: string | undefined;
  excludes: string | undefined;
}

export interface SplitUrl {
  path: string;
  query: URLSearchParams;
}

/**
 * Path and query of a request target, taken apart by hand: `new URL(target, base)` would read
 * `//x/y` as host `x`, and an absolute-form target (`GET http://h/v3/security`) keeps its path.
 */
export function splitUrl(target: string): SplitUrl {
  let rest = target;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length) || '/';
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  return q < 0 ? { path: rest, query: new URLSearchParams() } : { path: rest.slice(0, q), query: new URLSearchParams(rest.slice(q + 1)) };
}

/**
 * The answer format: `output=json|xml`, else XML when the Accept header asks for XML and not
 * for JSON (ipgeolocation honours both). Returns an ApiError for any other `output` value;
 * that error itself is answered in JSON.
 */
export function outputFormat(query: URLSearchParams, accept: string | undefined): OutputFormat | ApiError {
  const output = query.get('output');
  if (output !== null && output !== '') {
    const value = output.trim().toLowerCase();
    if (value === 'json' || value === 'xml') return value;
    return new ApiError(400, `output must be json or xml, got '${quoted(output)}'.`);
  }
  if (accept !== undefined) {
    const types = accept.toLowerCase();
    if ((types.includes('application/xml') || types.includes('text/xml')) && !types.includes('application/json')) return 'xml';
  }
  return 'json';
}

/** The 400 rule of the seed's error table: ( ) [ ] { } | ^ ` in a parameter name or value. */
export function forbiddenCharacterError(query: URLSearchParams): ApiError | undefined {
  for (const [name, value] of query) {
    const inName = FORBIDDEN_URL_CHARACTERS.exec(name);
    if (inName) {
      return new ApiError(400, `URL parameter name '${quoted(name)}' contains '${inName[0]}': the characters ( ) [ ] { } | ^ \` are not allowed in the URL.`);
    }
    const inValue = FORBIDDEN_URL_CHARACTERS.exec(value);
    if (inValue) {
      return new ApiError(400, `URL parameter '${quoted(name)}' contains '${inValue[0]}': the characters ( ) [ ] { } | ^ \` are not allowed in the URL.`);
    }
  }
  return undefined;
}

function joined(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name).filter((v) => v.trim() !== '');
  return values.length === 0 ? undefined : values.join(',');
}

export function readParams(query: URLSearchParams): ApiParams {
  const ip = query.get('ip');
  return {
    apiKey: query.get('apiKey') ?? undefined,
    ip: ip === null || ip.trim() === '' ? undefined : ip,
    fields: joined(query, 'fields'),
    excludes: joined(query, 'excludes'),
  };
}
