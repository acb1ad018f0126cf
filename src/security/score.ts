import type { SecurityRecord, Signals } from './record.js';
import { emptySecurity } from './record.js';

/**
 * Weights of the threat score model (SPEC section 2). The defaults reproduce every example in
 * ipgeolocation's documentation and its tiers:
 *
 *   score = min(100, anonymity + attacker + bot + spam + cloud)
 *   anonymity = max(tor, relay, vpn * c(vpn), proxy-or-residential * c(proxy))
 *   c(x) = min(1, confidence / confidence_full_at); a flagged signal whose source gave no
 *          confidence (0) counts in full, since lists are curated assertions.
 *
 * Anonymisation signals take the maximum, not the sum: an address that is both a VPN exit and
 * a residential proxy hides its user no more than either does (seed: 2.56.188.34 scores 80 with
 * confidences of 80 as with 90/99). Abuse signals add up, cloud hosting adds a little.
 */
export interface ScoreWeights {
  tor: number;
  vpn: number;
  proxy: number;
  residential_proxy: number;
  relay: number;
  known_attacker: number;
  bot: number;
  spam: number;
  cloud_provider: number;
  /** Confidence (0-100) at and above which a VPN or proxy signal counts in full. */
  confidence_full_at: number;
}

export const DEFAULT_SCORE_WEIGHTS: Readonly<ScoreWeights> = Object.freeze({
  tor: 40,
  vpn: 30,
  proxy: 30,
  residential_proxy: 45,
  relay: 30,
  known_attacker: 30,
  bot: 15,
  spam: 15,
  cloud_provider: 5,
  confidence_full_at: 80,
});

export type ThreatTier = 'none' | 'low' | 'medium' | 'elevated' | 'high';

/** ipgeolocation's published tiers: 1-19 low, 20-44 medium, 45-79 elevated, 80-100 high. */
export function threatTier(score: number): ThreatTier {
  if (score <= 0) return 'none';
  if (score < 20) return 'low';
  if (score < 45) return 'medium';
  if (score < 80) return 'elevated';
  return 'high';
}

type ScoredFlags = Pick<
  SecurityRecord,
  | 'is_tor'
  | 'is_vpn'
  | 'vpn_confidence_score'
  | 'is_proxy'
  | 'is_residential_proxy'
  | 'proxy_confidence_score'
  | 'is_relay'
  | 'is_known_attacker'
  | 'is_bot'
  | 'is_spam'
  | 'is_cloud_provider'
>;

export function modelScore(flags: ScoredFlags, weights: Readonly<ScoreWeights> = DEFAULT_SCORE_WEIGHTS): number {
  const scale = (confidence: number): number =>
    confidence <= 0 ? 1 : Math.min(1, confidence / Math.max(1, weights.confidence_full_at));
  let anonymity = 0;
  if (flags.is_tor) anonymity = Math.max(anonymity, weights.tor);
  if (flags.is_relay) anonymity = Math.max(anonymity, weights.relay);
  if (flags.is_vpn) anonymity = Math.max(anonymity, weights.vpn * scale(flags.vpn_confidence_score));
  if (flags.is_proxy || flags.is_residential_proxy) {
    const base = flags.is_residential_proxy ? weights.residential_proxy : weights.proxy;
    anonymity = Math.max(anonymity, base * scale(flags.proxy_confidence_score));
  }
  let score = anonymity;
  if (flags.is_known_attacker) score += weights.known_attacker;
  if (flags.is_bot) score += weights.bot;
  if (flags.is_spam) score += weights.spam;
  if (flags.is_cloud_provider) score += weights.cloud_provider;
  return clampScore(score);
}

export function clampScore(score: number): number {
  if (!Number.isFinite(score)) return 0;
  return Math.max(0, Math.min(100, Math.round(score)));
}

/**
 * The abuse flags a known-good network never carries (SPEC section 12): ipgeolocation does not
 * flag verified crawlers and other clean bots as bots, and an operator's own egress is neither
 * spam nor an attacker. Anonymity, hosting and provider names are facts about the network and
 * stay: a Googlebot address is still a Google Cloud address.
 */
export const KNOWN_GOOD_CLEARS = ['is_bot', 'is_spam', 'is_known_attacker'] as const satisfies readonly (keyof SecurityRecord)[];

/**
 * A known-good network's answer (SPEC section 12): `record` without KNOWN_GOOD_CLEARS, scored by
 * the model from the flags that remain. A score a source supplied may count the cleared signals,
 * and a single number cannot be taken apart. Changes and returns `record`.
 */
export function clearKnownGood(record: SecurityRecord, weights: Readonly<ScoreWeights> = DEFAULT_SCORE_WEIGHTS): SecurityRecord {
  for (const flag of KNOWN_GOOD_CLEARS) record[flag] = false;
  record.threat_score = modelScore(record, weights);
  return record;
}

export interface MergeOptions {
  /** A known-good (benign) source covers the range: clear KNOWN_GOOD_CLEARS and score the rest. */
  knownGood?: boolean;
}

function unionInto(target: string[], names: readonly string[] | undefined): void {
  if (!names) return;
  for (const name of names) if (name && !target.includes(name)) target.push(name);
}

/**
 * Merges what several sources say about one sub-range (SPEC section 5): flags OR, provider
 * names union (in the order given: put the most specific source first), confidence and
 * last-seen max, single provider names from the first source that has one. The score is the
 * highest score a source supplied, raised to the model's score of the merged flags when a
 * source without a score of its own contributed: more signals never lower it.
 *
 * In a known-good range the abuse flags are cleared and the score is the model's score of the
 * flags that remain (clearKnownGood).
 */
export function mergeSignals(
  signals: readonly Signals[],
  weights: Readonly<ScoreWeights> = DEFAULT_SCORE_WEIGHTS,
  options: MergeOptions = {},
): SecurityRecord {
  const record = emptySecurity();
  let supplied = -1;
  let flagsOnly = signals.length === 0;
  for (const s of signals) {
    if (s.threat_score === undefined) flagsOnly = true;
    else supplied = Math.max(supplied, clampScore(s.threat_score));
    record.is_tor ||= s.is_tor ?? false;
    record.is_proxy ||= s.is_proxy ?? false;
    record.is_residential_proxy ||= s.is_residential_proxy ?? false;
    record.is_vpn ||= s.is_vpn ?? false;
    record.is_relay ||= s.is_relay ?? false;
    record.is_known_attacker ||= s.is_known_attacker ?? false;
    record.is_bot ||= s.is_bot ?? false;
    record.is_spam ||= s.is_spam ?? false;
    record.is_cloud_provider ||= s.is_cloud_provider ?? false;
    unionInto(record.proxy_provider_names, s.proxy_provider_names);
    unionInto(record.vpn_provider_names, s.vpn_provider_names);
    record.proxy_confidence_score = Math.max(record.proxy_confidence_score, s.proxy_confidence_score ?? 0);
    record.vpn_confidence_score = Math.max(record.vpn_confidence_score, s.vpn_confidence_score ?? 0);
    if ((s.proxy_last_seen ?? '') > record.proxy_last_seen) record.proxy_last_seen = s.proxy_last_seen ?? '';
    if ((s.vpn_last_seen ?? '') > record.vpn_last_seen) record.vpn_last_seen = s.vpn_last_seen ?? '';
    if (!record.relay_provider_name && s.relay_provider_name) record.relay_provider_name = s.relay_provider_name;
    if (!record.cloud_provider_name && s.cloud_provider_name) record.cloud_provider_name = s.cloud_provider_name;
  }
  // A residential proxy is a proxy; the record never says one without the other.
  if (record.is_residential_proxy) record.is_proxy = true;
  record.is_anonymous = record.is_vpn || record.is_proxy || record.is_tor || record.is_relay;
  if (options.knownGood === true) return clearKnownGood(record, weights);
  const modelled = flagsOnly ? modelScore(record, weights) : -1;
  record.threat_score = Math.max(supplied, modelled, 0);
  return record;
}
