import type { PublicIp } from '../enrich/lookup-provider.js';
import type { SecurityRecord, Signals } from '../security/record.js';
import type { ScoreWeights } from '../security/score.js';
import { clampScore, mergeSignals } from '../security/score.js';
import type { Protocol, ProtocolRequest, ReadResult } from './protocol.js';
import { isRecord, parseJson, redactSecret } from './protocol.js';
import type { IpqsOptions } from './remote-schema.js';

function flag(value: unknown): boolean {
  // IPQS documents booleans; its XML twin and some SDKs carry them as "true"/"false".
  return value === true || value === 'true';
}

function known(text: unknown): string {
  return typeof text === 'string' && text !== 'N/A' ? text.trim() : '';
}

/**
 * An IPQualityScore proxy detection answer (seed 003, "Response Field Definitions") as the
 * security record:
 * - fraud_score → threat_score, kept as the provider's score (rounded, 0-100)
 * - vpn (or active_vpn) → is_vpn; tor (or active_tor) → is_tor
 * - proxy → is_proxy only when neither vpn nor tor explains it: IPQS's proxy is an umbrella
 *   ("SOCKS, Elite, Anonymous, VPN, Tor, etc."; "proxy will always be true" when vpn or tor
 *   is), whereas the record's is_proxy means a proxy network. is_anonymous is true either way.
 * - bot_status → is_bot; recent_abuse → is_known_attacker
 * - is_crawler is not mapped: verified crawlers (Googlebot, Bingbot) are clean bots, which
 *   ipgeolocation's is_bot deliberately leaves out (seed 001 FAQ).
 * - connection_type "Data Center" → is_cloud_provider with the ISP as cloud_provider_name.
 *   connection_type is not in the seed's field list; IPQS returns it in current answers and it
 *   is the only hosting signal IPQS gives, so it is read when present.
 * IPQS has no confidence scores, provider names, last-seen dates, relay or spam signal.
 */
export function securityFromIpqs(raw: Record<string, unknown>, weights?: Readonly<ScoreWeights>): SecurityRecord {
  const vpn = flag(raw.vpn) || flag(raw.active_vpn);
  const tor = flag(raw.tor) || flag(raw.active_tor);
  const cloud = raw.connection_type === 'Data Center';
  const signals: Signals = {
    is_proxy: flag(raw.proxy) && !vpn && !tor,
    is_vpn: vpn,
    is_tor: tor,
    is_bot: flag(raw.bot_status),
    is_known_attacker: flag(raw.recent_abuse),
    is_cloud_provider: cloud,
    cloud_provider_name: cloud ? known(raw.ISP) || known(raw.organization) || known(raw.Organization) : '',
  };
  const score = typeof raw.fraud_score === 'string' ? Number(raw.fraud_score) : raw.fraud_score;
  if (typeof score === 'number' && Number.isFinite(score)) signals.threat_score = clampScore(score);
  return mergeSignals([signals], weights);
}

/**
 * Messages with `success: false` that refuse the account rather than the address: a wrong key
 * or an exhausted balance will not mend by asking again.
 */
const ACCOUNT_MESSAGE = /\b(key|credits?|balance|quota|unauthori[sz]ed|account)\b/i;

export interface IpqsProtocolOptions {
  apiKey: string;
  options: IpqsOptions;
  weights?: Readonly<ScoreWeights>;
}

/**
 * IPQualityScore's proxy detection API: GET /api/json/ip/{KEY}/{IP}?strictness=&fast=&mobile=
 * &allow_public_access_points=&lighter_penalties=, one address per request, `success: false`
 * with a `message` when it cannot answer. user_agent and user_language are per event and an
 * answer here is cached per address, so they are not sent.
 */
export class IpqsProtocol implements Protocol {
  readonly type = 'ipqs';
  readonly maxIpsPerRequest = 1;
  private readonly apiKey: string;
  private readonly keySegment: string;
  private readonly query: string;
  private readonly weights: Readonly<ScoreWeights> | undefined;

  constructor(options: IpqsProtocolOptions) {
    this.apiKey = options.apiKey;
    this.keySegment = encodeURIComponent(options.apiKey);
    this.weights = options.weights;
    const o = options.options;
    this.query = new URLSearchParams({
      strictness: String(o.strictness),
      fast: String(o.fast),
      mobile: String(o.mobile),
      allow_public_access_points: String(o.allow_public_access_points),
      lighter_penalties: String(o.lighter_penalties),
    }).toString();
  }

  build(ips: readonly PublicIp[]): ProtocolRequest {
    const ip = ips[0];
    if (ips.length !== 1 || !ip) throw new Error(`ipqs asks one address per request, got ${ips.length}`);
    // Address text is digits, hex, '.' and ':' only: all legal in a path segment.
    return {
      method: 'GET',
      path: `/api/json/ip/${this.keySegment}/${ip.ip}?${this.query}`,
      logPath: `/api/json/ip/[redacted]/${ip.ip}?${this.query}`,
    };
  }

  read(body: string, ips: readonly PublicIp[]): ReadResult {
    const ip = ips[0]!;
    const parsed = parseJson(body);
    if (!parsed.ok) return { kind: 'malformed', detail: parsed.detail };
    if (!isRecord(parsed.value)) return { kind: 'malformed', detail: 'expected a JSON object' };
    const answer = parsed.value;
    if (answer.success === false || answer.success === 'false') {
      const message = this.redact(typeof answer.message === 'string' && answer.message !== '' ? answer.message : 'success: false without a message');
      if (ACCOUNT_MESSAGE.test(message)) return { kind: 'refused', detail: message };
      return { kind: 'answers', answers: new Map([[ip.ip, { kind: 'unknown', message }]]), stray: 0 };
    }
    if (answer.success !== true && answer.success !== 'true') return { kind: 'malformed', detail: 'no `success` field' };
    return { kind: 'answers', answers: new Map([[ip.ip, { kind: 'answer', security: securityFromIpqs(answer, this.weights) }]]), stray: 0 };
  }

  readClientError(): ReadResult | undefined {
    return undefined;
  }

  redact(text: string): string {
    return redactSecret(text, this.apiKey);
  }
}
