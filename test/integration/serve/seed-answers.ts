/**
 * ipgeolocation's own published responses, copied from seed 001 (IP Security API reference):
 * the single lookup, `excludes`, `fields`, and the three bulk examples. Written from the
 * document, never from the server's output. The bundled sample index holds the facts the
 * seed states for 2.56.188.34 and 2.56.188.35.
 */
export const SEED_34 = {
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

export const SEED_35 = {
  ip: '2.56.188.35',
  security: {
    threat_score: 35,
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
    is_known_attacker: true,
    is_bot: false,
    is_spam: false,
    is_cloud_provider: true,
    cloud_provider_name: 'Packethub S.A.',
  },
};

/** "Exclude Fields": excludes=security.is_tor,security.is_cloud_provider */
export const SEED_34_EXCLUDES = {
  ip: '2.56.188.34',
  security: {
    threat_score: 80,
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
    cloud_provider_name: 'Packethub S.A.',
  },
};

/** "Return Specific Fields": fields=security.threat_score */
export const SEED_34_FIELDS = { ip: '2.56.188.34', security: { threat_score: 80 } };

/** Bulk "Using fields Parameter": fields=security.is_vpn,security.vpn_confidence_score,security.is_proxy */
export const SEED_BULK_FIELDS = [
  { ip: '2.56.188.34', security: { is_proxy: true, is_vpn: true, vpn_confidence_score: 80 } },
  { ip: '2.56.188.35', security: { is_proxy: false, is_vpn: false, vpn_confidence_score: 0 } },
];

/** Bulk "Using excludes Parameter": excludes=security.threat_score,security.proxy_last_seen,security.vpn_last_seen */
export const SEED_BULK_EXCLUDES = [
  {
    ip: '2.56.188.34',
    security: {
      is_tor: false,
      is_proxy: true,
      proxy_provider_names: ['Zyte Proxy'],
      proxy_confidence_score: 80,
      is_residential_proxy: true,
      is_vpn: true,
      vpn_provider_names: ['Nord VPN'],
      vpn_confidence_score: 80,
      is_relay: false,
      relay_provider_name: '',
      is_anonymous: true,
      is_known_attacker: true,
      is_bot: false,
      is_spam: false,
      is_cloud_provider: true,
      cloud_provider_name: 'Packethub S.A.',
    },
  },
  {
    ip: '2.56.188.35',
    security: {
      is_tor: false,
      is_proxy: false,
      proxy_provider_names: [],
      proxy_confidence_score: 0,
      is_residential_proxy: false,
      is_vpn: false,
      vpn_provider_names: [],
      vpn_confidence_score: 0,
      is_relay: false,
      relay_provider_name: '',
      is_anonymous: false,
      is_known_attacker: true,
      is_bot: false,
      is_spam: false,
      is_cloud_provider: true,
      cloud_provider_name: 'Packethub S.A.',
    },
  },
];

/** "Bulk Lookup Response for Invalid IPs" */
export const SEED_BULK_BOGON = [{ message: "'10.0.0.0' is a bogon IP address." }, SEED_35];
