import type { Signals } from '../security/record.js';
import { describeJson, isJsonObject } from './json-feed.js';
import type { JsonObject } from './json-feed.js';
import { IGNORED_FIELD, isIsoDate, isSignalField, setFieldFromJson } from './signal-fields.js';

/** Keys only MaxMind's anonymizer schemas use (GeoIP2 Anonymous IP, Anonymous Plus,
 * Residential Proxy); `is_anonymous` and `is_residential_proxy` are shared with ours. */
const MAXMIND_KEYS = [
  'is_anonymous_vpn',
  'is_public_proxy',
  'is_tor_exit_node',
  'is_hosting_provider',
  'provider_name',
  'anonymizer_confidence',
  'network_last_seen',
];

const MAXMIND_FLAGS = ['is_anonymous_vpn', 'is_public_proxy', 'is_residential_proxy', 'is_tor_exit_node', 'is_hosting_provider'];

/** The record's mapped signals (empty when it carries none we know), or an error message. */
export type RecordMapping = Signals | string;

/** Database types whose records follow MaxMind's anonymizer schema. The Residential Proxy
 * database lists only residential proxies, so its records carry no flag of their own. */
export function maxMindSchemaOf(databaseType: string): { maxMind: boolean; allResidential: boolean } {
  return {
    maxMind: /Anonymous-IP|Anonymous-Plus|Residential-Proxy/i.test(databaseType),
    allResidential: /Residential-Proxy/i.test(databaseType),
  };
}

function mapMaxMind(rec: JsonObject, allResidential: boolean): RecordMapping {
  for (const flag of MAXMIND_FLAGS) {
    if (rec[flag] !== undefined && typeof rec[flag] !== 'boolean') return `${flag} is not a boolean`;
  }
  const { provider_name: provider, anonymizer_confidence: confidence, network_last_seen: lastSeen } = rec;
  if (provider !== undefined && typeof provider !== 'string') return 'provider_name is not a string';
  if (confidence !== undefined && (typeof confidence !== 'number' || !Number.isInteger(confidence) || confidence < 0 || confidence > 100)) {
    return `anonymizer_confidence ${describeJson(confidence)} is not an integer 0-100`;
  }
  if (lastSeen !== undefined && (typeof lastSeen !== 'string' || !isIsoDate(lastSeen))) {
    return `network_last_seen ${describeJson(lastSeen)} is not a date YYYY-MM-DD`;
  }
  const vpn = rec.is_anonymous_vpn === true;
  const residential = rec.is_residential_proxy === true || (allResidential && rec.is_residential_proxy !== false);
  const proxy = residential || rec.is_public_proxy === true;
  const signals: Signals = {};
  if (vpn) {
    signals.is_vpn = true;
    if (provider) signals.vpn_provider_names = [provider];
    if (confidence !== undefined) signals.vpn_confidence_score = confidence;
    if (lastSeen !== undefined) signals.vpn_last_seen = lastSeen;
  }
  if (proxy) {
    signals.is_proxy = true;
    if (residential) signals.is_residential_proxy = true;
    if (provider) signals.proxy_provider_names = [provider];
    if (confidence !== undefined) signals.proxy_confidence_score = confidence;
    if (lastSeen !== undefined) signals.proxy_last_seen = lastSeen;
  }
  if (rec.is_tor_exit_node === true) signals.is_tor = true;
  if (rec.is_hosting_provider === true) signals.is_cloud_provider = true;
  return signals;
}

/** ipgeolocation-style records: our own field names, at top level or under `security`. Other
 * keys (country, asn ...) belong to other products and are left alone. */
function mapSecurity(rec: JsonObject): RecordMapping {
  const fields = isJsonObject(rec.security) ? rec.security : rec;
  const signals: Signals = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === IGNORED_FIELD || !isSignalField(key)) continue;
    const error = setFieldFromJson(signals, key, value);
    if (error !== undefined) return error;
  }
  return signals;
}

/** Maps one decoded data record. Records that are not maps (a bare string, say) carry nothing. */
export function mapMmdbRecord(value: unknown, schema: { maxMind: boolean; allResidential: boolean }): RecordMapping {
  if (!isJsonObject(value)) return {};
  if (schema.maxMind || MAXMIND_KEYS.some((key) => key in value)) return mapMaxMind(value, schema.allResidential);
  return mapSecurity(value);
}
