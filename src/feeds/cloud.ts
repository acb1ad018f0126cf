import type { SourceConfig } from '../config/sources.js';
import type { Signals } from '../security/record.js';

/** The names each cloud format gives its provider when the source names none. Cloudflare's is
 * the one ipgeolocation prints for 1.0.0.0. */
export const CLOUD_PROVIDER_NAMES = Object.freeze({
  aws: 'Amazon Web Services',
  gcp: 'Google Cloud',
  azure: 'Microsoft Azure',
  cloudflare: 'Cloudflare, Inc.',
  oracle: 'Oracle Cloud Infrastructure',
});

export type CloudFormat = keyof typeof CLOUD_PROVIDER_NAMES;

export function cloudSignals(source: SourceConfig, format: CloudFormat): Signals {
  return Object.freeze({ is_cloud_provider: true, cloud_provider_name: source.provider ?? CLOUD_PROVIDER_NAMES[format] });
}
