import type { LookupAnswer, LookupProvider, PublicIp } from '../enrich/lookup-provider.js';
import type { LookupReason, Outcomes, ProviderStatus, RemoteOutcome, RemoteProvider, UnansweredReason } from './types.js';

/**
 * Which non-answer an address keeps when several providers leave it unanswered: a provider's
 * "unknown" is a reply and beats any failure; a transient failure beats the operator's own
 * limits, so `on_remote_failure: block` waits for it.
 */
const RANK: Readonly<Record<UnansweredReason, number>> = { error: 5, circuit_open: 4, budget: 3, disabled: 2, skipped: 1 };

function rank(outcome: RemoteOutcome): number {
  return outcome.kind === 'answer' ? 7 : outcome.kind === 'unknown' ? 6 : RANK[outcome.reason];
}

/**
 * Providers tried in order: each is asked only for the addresses the ones before it did not
 * answer with a record (an "unknown" goes on to the next provider too, which may know it).
 */
export class RemoteChain implements LookupProvider {
  readonly name: string;
  readonly providers: readonly RemoteProvider[];

  constructor(providers: readonly RemoteProvider[]) {
    this.providers = providers;
    this.name = providers.map((p) => p.name).join('+') || 'none';
  }

  /** An outcome for every address asked, none lost. */
  async resolve(ips: readonly PublicIp[], reason: LookupReason = 'miss'): Promise<Outcomes> {
    const final: Outcomes = new Map();
    for (const ip of ips) final.set(ip.ip, { kind: 'unanswered', reason: 'skipped' });
    let pending = ips;
    for (const provider of this.providers) {
      if (pending.length === 0) break;
      const got = await provider.resolve(pending, reason);
      const next: PublicIp[] = [];
      for (const ip of pending) {
        const outcome = got.get(ip.ip) ?? { kind: 'unanswered', reason: 'error' };
        if (rank(outcome) > rank(final.get(ip.ip)!)) final.set(ip.ip, outcome);
        if (outcome.kind !== 'answer') next.push(ip);
      }
      pending = next;
    }
    return final;
  }

  /** The LookupProvider view, without a cache: answers only, source remote. */
  async lookup(ips: readonly PublicIp[]): Promise<ReadonlyMap<string, LookupAnswer>> {
    const outcomes = await this.resolve(ips);
    const answers = new Map<string, LookupAnswer>();
    for (const [ip, outcome] of outcomes) {
      if (outcome.kind === 'answer') answers.set(ip, { security: outcome.security, source: 'remote', matchedNetwork: null, stale: false });
    }
    return answers;
  }

  /** Milliseconds until some provider may be asked again (Infinity: every one is disabled). */
  msUntilAvailable(): number {
    let soonest = Infinity;
    for (const p of this.providers) soonest = Math.min(soonest, p.msUntilAvailable());
    return soonest;
  }

  /** The REMOTE_UNAUTHORIZED error when every provider has been disabled, else undefined. */
  allDisabledError(): Error | undefined {
    if (this.providers.length === 0) return undefined;
    for (const p of this.providers) if (!p.disabledError) return undefined;
    return this.providers[0]!.disabledError;
  }

  status(): ProviderStatus[] {
    return this.providers.map((p) => p.status());
  }

  async close(): Promise<void> {
    await Promise.all(this.providers.map((p) => p.close()));
  }
}
