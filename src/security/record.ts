/**
 * The `security` object, field for field and in the same order as ipgeolocation's v3
 * IP Security API ("security JSON Object Reference"). Serialisers rely on this order.
 */
export interface SecurityRecord {
  threat_score: number;
  is_tor: boolean;
  is_proxy: boolean;
  proxy_provider_names: string[];
  proxy_confidence_score: number;
  proxy_last_seen: string;
  is_residential_proxy: boolean;
  is_vpn: boolean;
  vpn_provider_names: string[];
  vpn_confidence_score: number;
  vpn_last_seen: string;
  is_relay: boolean;
  relay_provider_name: string;
  is_anonymous: boolean;
  is_known_attacker: boolean;
  is_bot: boolean;
  is_spam: boolean;
  is_cloud_provider: boolean;
  cloud_provider_name: string;
}

export type SecurityField = keyof SecurityRecord;

export const SECURITY_FIELDS: readonly SecurityField[] = [
  'threat_score',
  'is_tor',
  'is_proxy',
  'proxy_provider_names',
  'proxy_confidence_score',
  'proxy_last_seen',
  'is_residential_proxy',
  'is_vpn',
  'vpn_provider_names',
  'vpn_confidence_score',
  'vpn_last_seen',
  'is_relay',
  'relay_provider_name',
  'is_anonymous',
  'is_known_attacker',
  'is_bot',
  'is_spam',
  'is_cloud_provider',
  'cloud_provider_name',
];

/** A fresh record with every field at its "not detected" default (SPEC section 1). */
export function emptySecurity(): SecurityRecord {
  return {
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
  };
}

/** A copy whose provider-name lists are its own, in the record's field order whatever order the
 * given one's keys were in (it is built on the defaults). */
export function copySecurity(security: Readonly<SecurityRecord>): SecurityRecord {
  const copy = Object.assign(emptySecurity(), security);
  copy.proxy_provider_names = [...security.proxy_provider_names];
  copy.vpn_provider_names = [...security.vpn_provider_names];
  return copy;
}

/**
 * What one source says about one network. Field names are the record's own; `threat_score`
 * is present only when the source supplies a score of its own (an ipgeolocation row, a remote
 * answer). `is_anonymous` is never supplied: it is derived.
 */
export type Signals = Partial<Omit<SecurityRecord, 'is_anonymous'>>;

/** The meanings a plain list can declare for every address it holds. */
export const MEANINGS = [
  'vpn',
  'proxy',
  'residential_proxy',
  'tor',
  'relay',
  'attacker',
  'spam',
  'bot',
  'cloud',
] as const;
export type Meaning = (typeof MEANINGS)[number];

/**
 * What a source may declare for every network it lists: one of the signal meanings, or
 * `benign` (SPEC section 12), a known-good network such as a verified search-engine crawler.
 * Benign is not a signal: it takes `is_bot`, `is_spam` and `is_known_attacker` away from
 * whatever other sources say about its ranges (see KNOWN_GOOD_CLEARS in score.ts).
 */
export const BENIGN = 'benign';
export const SOURCE_MEANINGS = [...MEANINGS, BENIGN] as const;
export type SourceMeaning = (typeof SOURCE_MEANINGS)[number];

/**
 * Signals for a list entry of a declared meaning. A residential proxy is also a proxy
 * (ipgeolocation and MaxMind both report it so). The provider name goes to the field that
 * meaning has one for; meanings without a name field (tor, attacker, spam, bot) drop it.
 */
export function signalsForMeaning(meaning: Meaning, provider?: string, confidence?: number): Signals {
  const names = provider ? [provider] : [];
  switch (meaning) {
    case 'vpn':
      return { is_vpn: true, vpn_provider_names: names, ...(confidence ? { vpn_confidence_score: confidence } : {}) };
    case 'proxy':
      return { is_proxy: true, proxy_provider_names: names, ...(confidence ? { proxy_confidence_score: confidence } : {}) };
    case 'residential_proxy':
      return {
        is_proxy: true,
        is_residential_proxy: true,
        proxy_provider_names: names,
        ...(confidence ? { proxy_confidence_score: confidence } : {}),
      };
    case 'tor':
      return { is_tor: true };
    case 'relay':
      return { is_relay: true, relay_provider_name: provider ?? '' };
    case 'attacker':
      return { is_known_attacker: true };
    case 'spam':
      return { is_spam: true };
    case 'bot':
      return { is_bot: true };
    case 'cloud':
      return { is_cloud_provider: true, cloud_provider_name: provider ?? '' };
  }
}
