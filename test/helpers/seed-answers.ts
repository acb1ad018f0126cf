import type { SecurityField, SecurityRecord } from '../../src/security/record.js';

/**
 * ipgeolocation's own published answers, transcribed from the seed documents (never from
 * iprisk's output): seed 001 is the IP Security API reference, seed 000 the product page.
 * The bundled sample index (config/sample/sample-index.csv) holds the facts these state, with
 * the 001 reference's 80/80 confidences for 2.56.188.34 (the 000 page shows 90/99 for it).
 */
export interface SeedAnswer {
  ip: string;
  security: SecurityRecord;
}

/** Seed 001, "1. Lookup the Caller IP (No `ip` Parameter)": every field at its "not detected" value. */
export const SEED_CALLER: SeedAnswer = {
  ip: '115.186.118.130',
  security: {
    threat_score: 0,
    is_tor: false,
    is_proxy: false,
    proxy_provider_names: [],
    proxy_confidence_score: 0,
    proxy_last_seen: '',
    is_residential_proxy: false,
    is_vpn: false,
    vpn_provider_names: [],
    vpn_confidence_score: 0,
    vpn_last_seen: '',
    is_relay: false,
    relay_provider_name: '',
    is_anonymous: false,
    is_known_attacker: false,
    is_bot: false,
    is_spam: false,
    is_cloud_provider: false,
    cloud_provider_name: '',
  },
};

/** Seed 001, "2. Lookup a Specific IP Address" (the same answer again in "1. Bulk lookup request"). */
export const SEED_34: SeedAnswer = {
  ip: '2.56.188.34',
  security: {
    threat_score: 80,
    is_tor: false,
    is_proxy: true,
    proxy_provider_names: ['Zyte Proxy'],
    proxy_confidence_score: 80,
    proxy_last_seen: '2025-12-12',
    is_residential_proxy: true,
    is_vpn: true,
    vpn_provider_names: ['Nord VPN'],
    vpn_confidence_score: 80,
    vpn_last_seen: '2026-01-19',
    is_relay: false,
    relay_provider_name: '',
    is_anonymous: true,
    is_known_attacker: true,
    is_bot: false,
    is_spam: false,
    is_cloud_provider: true,
    cloud_provider_name: 'Packethub S.A.',
  },
};

/**
 * The seed's other full answers differ from the caller answer above in a few fields only, so
 * they are written as those fields; the key order stays the record's, as the seed prints it.
 */
function seedAnswer(ip: string, differences: Partial<SecurityRecord>): SeedAnswer {
  return { ip, security: { ...SEED_CALLER.security, proxy_provider_names: [], vpn_provider_names: [], ...differences } };
}

/** Seed 001, "1. Bulk lookup request" (and "3. Bulk Lookup Response for Invalid IPs"). */
export const SEED_35 = seedAnswer('2.56.188.35', {
  threat_score: 35,
  is_known_attacker: true,
  is_cloud_provider: true,
  cloud_provider_name: 'Packethub S.A.',
});

/** Seed 000, "Residential Proxy Detection". */
export const SEED_RESIDENTIAL_PROXY = seedAnswer('152.58.153.65', {
  threat_score: 45,
  is_proxy: true,
  proxy_provider_names: ['922 Proxy'],
  proxy_confidence_score: 99,
  proxy_last_seen: '2026-01-04',
  is_residential_proxy: true,
  is_anonymous: true,
});

/** Seed 000, "Bulk Proxy & VPN Detection (Up to 50,000 IPs)": 1.0.0.0, 1.0.0.1 and 1.0.0.2 alike. */
export const SEED_CLOUDFLARE_BULK = ['1.0.0.0', '1.0.0.1', '1.0.0.2'].map((ip) =>
  seedAnswer(ip, { threat_score: 5, is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc.' }),
);

/** An answer with some security fields gone: the seed's `excludes` previews are exactly that, order kept. */
function without(answer: SeedAnswer, drop: readonly SecurityField[]): { ip: string; security: Partial<SecurityRecord> } {
  const kept = Object.entries(answer.security).filter(([field]) => !(drop as readonly string[]).includes(field));
  return { ip: answer.ip, security: Object.fromEntries(kept) };
}

/** Seed 001, "1. Exclude Fields ( `excludes` )": excludes=security.is_tor,security.is_cloud_provider */
export const SEED_34_EXCLUDES = without(SEED_34, ['is_tor', 'is_cloud_provider']);

/** Seed 001, "2. Return Specific Fields ( `fields` )": fields=security.threat_score */
export const SEED_34_FIELDS = { ip: '2.56.188.34', security: { threat_score: 80 } };

/** Seed 001, "I. Using fields Parameter": fields=security.is_vpn,security.vpn_confidence_score,security.is_proxy */
export const SEED_BULK_FIELDS = [
  { ip: '2.56.188.34', security: { is_proxy: true, is_vpn: true, vpn_confidence_score: 80 } },
  { ip: '2.56.188.35', security: { is_proxy: false, is_vpn: false, vpn_confidence_score: 0 } },
];

/** Seed 001, "II. Using excludes Parameter": excludes=security.threat_score,security.proxy_last_seen,security.vpn_last_seen */
export const SEED_BULK_EXCLUDES = [SEED_34, SEED_35].map((answer) => without(answer, ['threat_score', 'proxy_last_seen', 'vpn_last_seen']));

/** Seed 001, "3. Bulk Lookup Response for Invalid IPs". */
export const SEED_BULK_BOGON = [{ message: "'10.0.0.0' is a bogon IP address." }, SEED_35];
