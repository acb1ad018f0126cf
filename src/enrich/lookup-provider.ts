import type { SecurityRecord } from '../security/record.js';

/** A public address to look up, as the enricher hands it to providers. */
export type PublicIp = { family: 4; ip: string; v4: number } | { family: 6; ip: string; words: [number, number, number, number] };

export type AnswerSource = 'index' | 'remote' | 'cache';

export interface LookupAnswer {
  security: Readonly<SecurityRecord>;
  source: AnswerSource;
  matchedNetwork: string | null;
  /** Answered from an expired cache entry or an index older than its max age. */
  stale: boolean;
  /** JSON.stringify(security) when the provider has it at hand (the index does). */
  securityJson?: string;
}

/**
 * Answers for addresses the local index does not hold (SPEC section 6): a remote API behind a
 * cache. Async and batched: the enricher hands it each batch's unique misses at once. An
 * address missing from the returned map is an answer of "nothing known" (source none).
 */
export interface LookupProvider {
  readonly name: string;
  lookup(ips: readonly PublicIp[]): Promise<ReadonlyMap<string, LookupAnswer>>;
}
