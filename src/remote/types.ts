import type { PublicIp } from '../enrich/lookup-provider.js';
import type { SecurityRecord } from '../security/record.js';

/**
 * Why an address was asked: a miss of the local index, or an index answer past its max age.
 * Providers with `ask: miss` answer misses only.
 */
export type LookupReason = 'miss' | 'stale';

export interface LookupOptions {
  reason?: LookupReason;
}

/**
 * Why a provider left an address unanswered.
 * - error: its requests failed (after retries), or its answer did not cover the address
 * - circuit_open: the circuit breaker refused the request
 * - budget: the IPs-per-minute budget was spent; no request was made
 * - disabled: the provider refused the key (401/403) and asks nothing any more
 * - skipped: the provider is not asked for this reason (`ask`)
 */
export type UnansweredReason = 'error' | 'circuit_open' | 'budget' | 'disabled' | 'skipped';

/** Failures that `on_remote_failure: block` waits out; the others are the operator's choice or fault. */
export function isTransient(reason: UnansweredReason): boolean {
  return reason === 'error' || reason === 'circuit_open';
}

/**
 * What one provider says about one address it was asked: a record, "no answer" (it replied,
 * but with a message instead of a record, e.g. ipgeolocation's per-entry `message` objects),
 * or nothing at all, with the reason.
 */
export type RemoteOutcome =
  | { kind: 'answer'; security: Readonly<SecurityRecord> }
  | { kind: 'unknown'; message: string }
  | { kind: 'unanswered'; reason: UnansweredReason };

/** Keyed by the asked address's canonical text (`PublicIp.ip`); holds every address asked. */
export type Outcomes = Map<string, RemoteOutcome>;

export type CircuitState = 'closed' | 'half_open' | 'open';

export interface ProviderStatus {
  name: string;
  type: string;
  circuit: CircuitState;
  /** Set once the provider refused its key: it asks nothing until restarted. */
  disabled: string | null;
}

/** A provider behind its policy: every asked address comes back with an outcome, none lost. */
export interface RemoteProvider {
  readonly name: string;
  resolve(ips: readonly PublicIp[], reason: LookupReason): Promise<Outcomes>;
  status(): ProviderStatus;
  /** Milliseconds until this provider may be asked again (0 now; Infinity never: disabled). */
  msUntilAvailable(): number;
  /** The REMOTE_UNAUTHORIZED error once the provider has been disabled. */
  readonly disabledError: Error | undefined;
  close(): Promise<void>;
}
