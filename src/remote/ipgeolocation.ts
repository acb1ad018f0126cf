import type { PublicIp } from '../enrich/lookup-provider.js';
import { BOOLEAN_FIELDS } from '../feeds/signal-fields.js';
import type { SecurityRecord, Signals } from '../security/record.js';
import type { ScoreWeights } from '../security/score.js';
import { clampScore, mergeSignals } from '../security/score.js';
import type { Definitive, Protocol, ProtocolRequest, ReadResult } from './protocol.js';
import { askedIndex, canonicalIp, isRecord, parseJson, redactSecret } from './protocol.js';

const SCORE_FIELDS = ['proxy_confidence_score', 'vpn_confidence_score'] as const;
const TEXT_FIELDS = ['proxy_last_seen', 'vpn_last_seen', 'relay_provider_name', 'cloud_provider_name'] as const;
const LIST_FIELDS = ['proxy_provider_names', 'vpn_provider_names'] as const;

/**
 * An ipgeolocation v3 `security` object (seed 001, "security JSON Object Reference") as the
 * record, field for field. Fields the answer leaves out (`fields`/`excludes`) or gives with the
 * wrong type take their defaults; `threat_score` is kept as the provider's own score, and only
 * when absent is the score model applied to the flags. `is_anonymous` is derived from the flags
 * as the reference defines it, so a trimmed answer stays consistent.
 */
export function securityFromIpgeolocation(raw: Record<string, unknown>, weights?: Readonly<ScoreWeights>): SecurityRecord {
  const signals: Signals = {};
  const score = raw.threat_score;
  if (typeof score === 'number' && Number.isFinite(score)) signals.threat_score = clampScore(score);
  for (const field of BOOLEAN_FIELDS) {
    const value = raw[field];
    if (typeof value === 'boolean') signals[field] = value;
  }
  for (const field of SCORE_FIELDS) {
    const value = raw[field];
    if (typeof value === 'number' && Number.isFinite(value)) signals[field] = clampScore(value);
  }
  for (const field of TEXT_FIELDS) {
    const value = raw[field];
    if (typeof value === 'string') signals[field] = value;
  }
  for (const field of LIST_FIELDS) {
    const value = raw[field];
    if (Array.isArray(value)) signals[field] = value.filter((name): name is string => typeof name === 'string' && name !== '');
  }
  return mergeSignals([signals], weights);
}

/** ipgeolocation puts the address it could not answer in quotes: "'10.0.0.0' is a bogon IP address." */
const QUOTED = /'([^']{2,64})'/;

export interface IpgeolocationOptions {
  type: string;
  apiKey: string | undefined;
  /** Dot paths passed as `fields` (security.is_vpn, ...); empty: the whole object. */
  fields: readonly string[];
  maxIpsPerRequest: number;
  /** A lone address goes to GET /v3/security rather than the bulk endpoint. */
  singleIpEndpoint: boolean;
  weights?: Readonly<ScoreWeights>;
}

/**
 * ipgeolocation's v3 IP Security API (seed 001), also spoken by another iprisk `serve`:
 * POST /v3/security-bulk?apiKey= with {"ips": [...]} (at most 50,000), GET /v3/security?apiKey=&ip=.
 */
export class IpgeolocationProtocol implements Protocol {
  readonly type: string;
  readonly maxIpsPerRequest: number;
  private readonly options: IpgeolocationOptions;
  private readonly query: string;
  private readonly logQuery: string;

  constructor(options: IpgeolocationOptions) {
    this.options = options;
    this.type = options.type;
    this.maxIpsPerRequest = options.maxIpsPerRequest;
    const params = new URLSearchParams();
    const logged = new URLSearchParams();
    if (options.apiKey !== undefined) {
      params.set('apiKey', options.apiKey);
      logged.set('apiKey', '[redacted]');
    }
    if (options.fields.length > 0) {
      // ip is always part of the answer; the flags feed is_anonymous and the score model.
      params.set('fields', options.fields.join(','));
      logged.set('fields', options.fields.join(','));
    }
    this.query = params.toString();
    this.logQuery = decodeURIComponent(logged.toString());
  }

  build(ips: readonly PublicIp[]): ProtocolRequest {
    const first = ips[0];
    if (ips.length === 1 && first && this.options.singleIpEndpoint) {
      const ip = `ip=${encodeURIComponent(first.ip)}`;
      return {
        method: 'GET',
        path: `/v3/security?${this.query === '' ? ip : `${this.query}&${ip}`}`,
        logPath: `/v3/security?${this.logQuery === '' ? ip : `${this.logQuery}&${ip}`}`,
      };
    }
    return {
      method: 'POST',
      path: `/v3/security-bulk${this.query === '' ? '' : `?${this.query}`}`,
      logPath: `/v3/security-bulk${this.logQuery === '' ? '' : `?${this.logQuery}`}`,
      body: JSON.stringify({ ips: ips.map((ip) => ip.ip) }),
    };
  }

  read(body: string, ips: readonly PublicIp[]): ReadResult {
    const parsed = parseJson(body);
    if (!parsed.ok) return { kind: 'malformed', detail: parsed.detail };
    const value = parsed.value;
    if (!Array.isArray(value) && !isRecord(value)) return { kind: 'malformed', detail: 'expected a JSON array (bulk) or object (single)' };
    const entries: unknown[] = Array.isArray(value) ? value : [value];
    if (entries.length > 0 && !entries.some(isRecord)) return { kind: 'malformed', detail: 'no entry is a JSON object' };
    const asked = askedIndex(ips);
    const answers = new Map<string, Definitive>();
    let stray = 0;
    for (const entry of entries) {
      const got = this.readEntry(entry, asked);
      // A second entry for an address already answered is ignored: first answer wins.
      if (got === undefined || answers.has(got[0])) stray++;
      else answers.set(got[0], got[1]);
    }
    return { kind: 'answers', answers, stray };
  }

  readClientError(status: number, body: string, ips: readonly PublicIp[]): ReadResult | undefined {
    const first = ips[0];
    // Only the single endpoint answers for one address with a 4xx (seed 001: 400 invalid IP,
    // 404 not in the database, 423 bogon or private); on the bulk endpoint these mean a broken request.
    if (ips.length !== 1 || !first || !this.options.singleIpEndpoint) return undefined;
    if (status !== 400 && status !== 404 && status !== 423) return undefined;
    const parsed = parseJson(body);
    const message = parsed.ok && isRecord(parsed.value) && typeof parsed.value.message === 'string' ? parsed.value.message : `HTTP ${status}`;
    return { kind: 'answers', answers: new Map([[first.ip, { kind: 'unknown', message: this.redact(message) }]]), stray: 0 };
  }

  redact(text: string): string {
    return redactSecret(text, this.options.apiKey);
  }

  /** [asked address, answer], or undefined when the entry belongs to no asked address. */
  private readEntry(entry: unknown, asked: ReadonlySet<string>): [string, Definitive] | undefined {
    if (!isRecord(entry)) return undefined;
    if (typeof entry.ip === 'string') {
      const ip = canonicalIp(entry.ip);
      if (ip === undefined || !asked.has(ip)) return undefined;
      if (isRecord(entry.security)) return [ip, { kind: 'answer', security: securityFromIpgeolocation(entry.security, this.options.weights) }];
      if (typeof entry.message === 'string') return [ip, { kind: 'unknown', message: this.redact(entry.message) }];
      return undefined;
    }
    if (typeof entry.message === 'string') {
      const quoted = QUOTED.exec(entry.message)?.[1];
      const ip = quoted === undefined ? undefined : canonicalIp(quoted);
      if (ip !== undefined && asked.has(ip)) return [ip, { kind: 'unknown', message: this.redact(entry.message) }];
    }
    return undefined;
  }
}
