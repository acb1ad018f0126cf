import type { PublicIp } from '../enrich/lookup-provider.js';
import { parseClientIp } from '../ip/client-ip.js';
import type { SecurityRecord } from '../security/record.js';
import type { HttpRequest } from './http.js';

/** An answer a provider gave for one address: a record, or a message instead of one. */
export type Definitive = { kind: 'answer'; security: Readonly<SecurityRecord> } | { kind: 'unknown'; message: string };

/** What a response body says, as the protocol reads it. */
export type ReadResult =
  /** Answers keyed by the asked address they belong to; `stray` counts entries that matched no asked address. */
  | { kind: 'answers'; answers: Map<string, Definitive>; stray: number }
  /** Not the shape the protocol promises (bad JSON, wrong types): worth a retry. */
  | { kind: 'malformed'; detail: string }
  /** The provider refused the account in the body (IPQS: invalid key, no credits): a configuration error. */
  | { kind: 'refused'; detail: string };

export interface ProtocolRequest extends HttpRequest {
  /** The path as it may be logged: API keys replaced by [redacted]. */
  logPath: string;
}

/** One provider's wire protocol, apart from any policy (retries, breaker, budget). */
export interface Protocol {
  readonly type: string;
  /** Most addresses one request may carry. */
  readonly maxIpsPerRequest: number;
  build(ips: readonly PublicIp[]): ProtocolRequest;
  /** Reads a 2xx body. */
  read(body: string, ips: readonly PublicIp[]): ReadResult;
  /**
   * Reads a 4xx other than 401/403/413/429 that answers for the address rather than reporting
   * a broken request (ipgeolocation's single endpoint: 404 not in the database, 423 bogon).
   * Undefined: a client error, not retried.
   */
  readClientError(status: number, body: string, ips: readonly PublicIp[]): ReadResult | undefined;
  /** Replaces the provider's secrets in text about to be logged or raised. */
  redact(text: string): string;
}

/** The canonical key of an address as a provider echoes it, so "2001:DB8::0001" meets "2001:db8::1". */
export function canonicalIp(text: string): string | undefined {
  const parsed = parseClientIp(text);
  return parsed.kind === 'invalid' ? undefined : parsed.ip;
}

/** Asked addresses by canonical text: answers are matched to questions by address, never by position. */
export function askedIndex(ips: readonly PublicIp[]): Set<string> {
  return new Set(ips.map((ip) => ip.ip));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function parseJson(body: string): { ok: true; value: unknown } | { ok: false; detail: string } {
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch (err) {
    return { ok: false, detail: `body is not JSON (${err instanceof Error ? err.message : String(err)}; ${body.length} bytes)` };
  }
}

/** Every occurrence of `secret` (and its URL-encoded form) replaced; nothing to do without one. */
export function redactSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  let out = text.split(secret).join('[redacted]');
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret) out = out.split(encoded).join('[redacted]');
  return out;
}
