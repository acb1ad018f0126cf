import type { SourceConfig } from '../config/sources.js';
import type { Signals } from '../security/record.js';
import type { FeedEntry } from './types.js';

/**
 * The source's `provider` replaces the provider name of every signal an entry has (vpn, proxy,
 * relay, cloud: signals without a name field keep none), and its `confidence` fills the vpn /
 * proxy confidence an entry does not give.
 */
export function withSourceOverrides(signals: Signals, provider: string | undefined, confidence: number | undefined): Signals {
  const out: Signals = { ...signals };
  const isProxy = out.is_proxy === true || out.is_residential_proxy === true;
  if (provider !== undefined) {
    if (out.is_vpn === true || out.vpn_provider_names !== undefined) out.vpn_provider_names = [provider];
    if (isProxy || out.proxy_provider_names !== undefined) out.proxy_provider_names = [provider];
    if (out.is_relay === true || out.relay_provider_name !== undefined) out.relay_provider_name = provider;
    if (out.is_cloud_provider === true || out.cloud_provider_name !== undefined) out.cloud_provider_name = provider;
  }
  if (confidence !== undefined) {
    if (out.is_vpn === true && !out.vpn_confidence_score) out.vpn_confidence_score = confidence;
    if (isProxy && !out.proxy_confidence_score) out.proxy_confidence_score = confidence;
  }
  return out;
}

/** Applies the overrides to every entry; entries that shared a signals object still share one. */
export function applySourceOverrides(entries: readonly FeedEntry[], source: SourceConfig): FeedEntry[] {
  const { provider, confidence } = source;
  if (provider === undefined && confidence === undefined) return [...entries];
  const done = new Map<Signals, Signals>();
  return entries.map((entry) => {
    let signals = done.get(entry.signals);
    if (signals === undefined) {
      signals = Object.freeze(withSourceOverrides(entry.signals, provider, confidence));
      done.set(entry.signals, signals);
    }
    return { network: entry.network, signals };
  });
}
