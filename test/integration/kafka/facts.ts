// What the enriched stream must say about the addresses the Kafka tests use, written from the
// sources of truth rather than from iprisk's output: SPEC section 1 (fields, order, defaults),
// section 2 (the documented scores and tiers) and config/sample/sample-index.csv (the bundled
// sample index's rows: the facts ipgeolocation's documentation prints, plus hand-written ranges).

import { SEED_CALLER } from '../../helpers/seed-answers.js';

/** SPEC section 1: every field, in order, with its default, as the seed's caller answer prints them. */
export const SECURITY_DEFAULTS = { ...SEED_CALLER.security };
export type Security = typeof SECURITY_DEFAULTS;

/** SPEC section 2's tiers, for entries whose score the documentation does not print. */
export const TIERS = { low: [1, 19], medium: [20, 44], elevated: [45, 79], high: [80, 100] } as const;

export interface IndexFact {
  /** The sample index row's network, as the most specific match. */
  network: string;
  /** Everything but the score, on top of the defaults. */
  flags: Partial<Security>;
  /** The documented score, or the tier the signals fall in (anonymisation without abuse: medium). */
  score: number | readonly [number, number];
}

const PACKETHUB = { is_cloud_provider: true, cloud_provider_name: 'Packethub S.A.' };
const CLOUDFLARE = { is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc.' };
const TOR = { is_tor: true, is_anonymous: true };
const RELAY = { is_relay: true, relay_provider_name: 'iCloud Private Relay', is_anonymous: true };

/** Sample index facts by the address iprisk looks up. */
export const SAMPLE_FACTS: Readonly<Record<string, IndexFact>> = {
  '2.56.188.34': {
    network: '2.56.188.34/32',
    score: 80,
    flags: {
      is_proxy: true,
      proxy_provider_names: ['Zyte Proxy'],
      proxy_confidence_score: 80,
      proxy_last_seen: '2025-12-12',
      is_residential_proxy: true,
      is_vpn: true,
      vpn_provider_names: ['Nord VPN'],
      vpn_confidence_score: 80,
      vpn_last_seen: '2026-01-19',
      is_anonymous: true,
      is_known_attacker: true,
      ...PACKETHUB,
    },
  },
  '2.56.188.35': { network: '2.56.188.35/32', score: 35, flags: { is_known_attacker: true, ...PACKETHUB } },
  '152.58.153.65': {
    network: '152.58.153.65/32',
    score: 45,
    flags: { is_proxy: true, proxy_provider_names: ['922 Proxy'], proxy_confidence_score: 99, proxy_last_seen: '2026-01-04', is_residential_proxy: true, is_anonymous: true },
  },
  '1.0.0.1': { network: '1.0.0.0/24', score: 5, flags: CLOUDFLARE },
  '1.0.0.2': { network: '1.0.0.0/24', score: 5, flags: CLOUDFLARE },
  '1.1.1.1': { network: '1.1.1.0/24', score: 5, flags: CLOUDFLARE },
  '2606:4700:4700::1111': { network: '2606:4700::/32', score: 5, flags: CLOUDFLARE },
  '2606:4700::1111': { network: '2606:4700::/32', score: 5, flags: CLOUDFLARE },
  '185.220.101.33': { network: '185.220.101.0/24', score: TIERS.medium, flags: TOR },
  '172.224.226.9': { network: '172.224.226.0/27', score: TIERS.medium, flags: RELAY },
  '2a02:26f7:b3c0:4000::5': { network: '2a02:26f7:b3c0:4000::/64', score: TIERS.medium, flags: RELAY },
  '2001:ac8:21:6::17': { network: '2001:ac8::/32', score: TIERS.medium, flags: { is_vpn: true, is_anonymous: true, is_cloud_provider: true, cloud_provider_name: 'M247' } },
  '2001:ac8:21:6::99': { network: '2001:ac8::/32', score: TIERS.medium, flags: { is_vpn: true, is_anonymous: true, is_cloud_provider: true, cloud_provider_name: 'M247' } },
};

/** How one event must come out: the address looked up, where the answer came from, and the answer. */
export type Expected =
  | { source: 'index'; ip: string }
  | { source: 'none'; ip: string }
  | { source: 'private'; ip: string }
  | { source: 'invalid'; ip: string | null };

/** Checks one enriched record's `security` and `enrichment` against the facts; returns the problems. */
export function enrichmentProblems(expected: Expected, security: unknown, enrichment: Record<string, unknown> | null): string[] {
  const problems: string[] = [];
  if (enrichment === null) return ['enrichment is null'];
  if (enrichment.source !== expected.source) problems.push(`enrichment.source ${String(enrichment.source)}, expected ${expected.source}`);
  if (enrichment.ip !== expected.ip) problems.push(`enrichment.ip ${String(enrichment.ip)}, expected ${String(expected.ip)}`);
  if (enrichment.stale !== false) problems.push('enrichment.stale is not false');
  if (expected.source === 'private' || expected.source === 'invalid') {
    if (security !== null) problems.push(`security ${JSON.stringify(security)}, expected null`);
    if (enrichment.matched_network !== null) problems.push('matched_network is not null');
    return problems;
  }
  if (security === null || typeof security !== 'object') return [...problems, 'security is null'];
  const actual = security as Record<string, unknown>;
  if (Object.keys(actual).join() !== Object.keys(SECURITY_DEFAULTS).join()) problems.push(`security fields ${Object.keys(actual).join()} are not SPEC section 1's`);
  if (expected.source === 'none') {
    if (JSON.stringify(actual) !== JSON.stringify(SECURITY_DEFAULTS)) problems.push(`security ${JSON.stringify(actual)}, expected every default`);
    if (enrichment.matched_network !== null) problems.push('matched_network is not null');
    return problems;
  }
  const fact = SAMPLE_FACTS[expected.ip];
  if (!fact) return [...problems, `no sample fact for ${expected.ip}`];
  const { threat_score, ...rest } = actual;
  const { threat_score: _default, ...restDefaults } = { ...SECURITY_DEFAULTS, ...fact.flags };
  if (JSON.stringify(rest) !== JSON.stringify(restDefaults)) problems.push(`security ${JSON.stringify(rest)}, expected ${JSON.stringify(restDefaults)}`);
  const [min, max] = typeof fact.score === 'number' ? [fact.score, fact.score] : fact.score;
  if (typeof threat_score !== 'number' || threat_score < min || threat_score > max) problems.push(`threat_score ${String(threat_score)}, expected ${min === max ? min : `${min}-${max}`}`);
  if (enrichment.matched_network !== fact.network) problems.push(`matched_network ${String(enrichment.matched_network)}, expected ${fact.network}`);
  return problems;
}
