import { LRUCache } from 'lru-cache';
import type { LookupAnswer, LookupProvider, PublicIp } from '../enrich/lookup-provider.js';
import { IpriskError } from '../errors.js';
import { sleep } from '../net/retry.js';
import { FLAG_NAMES } from '../range-index/types.js';
import type { SecurityRecord } from '../security/record.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { RemoteChain } from './chain.js';
import type { CacheConfig, OnRemoteFailure } from './remote-schema.js';
import type { LookupOptions, LookupReason, Outcomes, ProviderStatus, UnansweredReason } from './types.js';
import { isTransient } from './types.js';

/** What the remote fallback made of one address. */
export type Resolution =
  | { kind: 'answer'; answer: LookupAnswer }
  /** The providers replied without a record, or the cache remembers that they did. */
  | { kind: 'unknown' }
  | { kind: 'unanswered'; reason: UnansweredReason };

interface Entry {
  /** null: the providers know nothing of this address. */
  answer: LookupAnswer | null;
  /** Serve as fresh until then (clock ms). */
  freshUntil: number;
  /** Serve as stale, while the providers fail, until then. */
  staleUntil: number;
  bytes: number;
}

/** Per entry beyond its JSON: key, object headers, the LRU's own bookkeeping. Rough on purpose. */
const ENTRY_OVERHEAD_BYTES = 160;

/** An answer with no flag and score 0 (what ipgeolocation returns for a clean address). */
export function isClean(security: Readonly<SecurityRecord>): boolean {
  return security.threat_score === 0 && FLAG_NAMES.every((k) => !security[k]);
}

export interface CachedRemoteOptions {
  cache: CacheConfig;
  onRemoteFailure: OnRemoteFailure;
  blockMaxWaitMs: number;
  blockRetryMs: number;
  /** Some provider answers for stale index entries too (`ask: stale`). */
  asksWhenStale: boolean;
}

export interface CachedRemoteDeps {
  logger: Logger;
  metrics?: Metrics | undefined;
  clock?: () => number;
}

/**
 * The remote fallback as the enricher sees it: an answer cache in front of the provider chain.
 *
 * - LRU bounded by entries and approximate bytes; answers live `ttl_secs`, clean answers and
 *   "nothing known" `clean_ttl_secs`.
 * - Single flight: an address already being asked (by a concurrent batch) is not asked again;
 *   the second caller waits for the first request's result.
 * - Expired entries are kept `stale_serve_secs` longer and served marked `stale` when the
 *   providers fail to answer.
 * - `on_remote_failure`: pass leaves failed addresses unanswered (the enricher says source
 *   none); block waits, asking again, until they are answered or `block_max_wait_ms` has gone,
 *   then rejects with REMOTE_UNAVAILABLE (canRetry). A pending lookup holds the batch, so the
 *   caller stops taking input: a Kafka consumer awaiting it inside eachBatch fetches nothing
 *   more; on the rejection it must not commit the batch, should pause its partitions, await
 *   `waitForRecovery()`, resume and process the batch again. With every provider disabled
 *   (401/403) block rejects at once with REMOTE_UNAUTHORIZED: waiting cannot mend a key.
 *   Addresses left out by the budget or `ask` never block: those limits are the operator's.
 */
export class CachedRemote implements LookupProvider {
  readonly name: string;
  readonly asksWhenStale: boolean;
  private readonly chain: RemoteChain;
  private readonly options: CachedRemoteOptions;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly lru: LRUCache<string, Entry>;
  private readonly inflight = new Map<string, Promise<Outcomes>>();
  private readonly closing = new AbortController();
  private evicted = 0;
  private readonly metrics: {
    hit?: { inc(n?: number): void };
    miss?: { inc(n?: number): void };
    stale?: { inc(n?: number): void };
    entries?: { set(v: number): void };
    evictions?: { inc(n?: number): void };
  };

  constructor(chain: RemoteChain, options: CachedRemoteOptions, deps: CachedRemoteDeps) {
    this.chain = chain;
    this.name = `cache(${chain.name})`;
    this.options = options;
    this.asksWhenStale = options.asksWhenStale;
    this.logger = deps.logger;
    this.clock = deps.clock ?? Date.now;
    const m = deps.metrics;
    this.metrics = m
      ? {
          hit: m.cacheLookups.labels('hit'),
          miss: m.cacheLookups.labels('miss'),
          stale: m.cacheLookups.labels('stale'),
          entries: m.cacheEntries,
          evictions: m.cacheEvictions,
        }
      : {};
    this.lru = new LRUCache<string, Entry>({
      max: options.cache.max_entries,
      maxSize: options.cache.max_bytes,
      sizeCalculation: (entry) => entry.bytes,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.evicted++;
      },
    });
  }

  /** Answers only, as the enricher wants them; an address absent from the map is unanswered or unknown. */
  async lookup(ips: readonly PublicIp[], options: LookupOptions = {}): Promise<ReadonlyMap<string, LookupAnswer>> {
    const resolved = await this.resolve(ips, options);
    const answers = new Map<string, LookupAnswer>();
    for (const [ip, r] of resolved) if (r.kind === 'answer') answers.set(ip, r.answer);
    return answers;
  }

  /** A resolution for every distinct address asked: nothing is lost, nothing is silent. */
  async resolve(ips: readonly PublicIp[], options: LookupOptions = {}): Promise<Map<string, Resolution>> {
    const reason = options.reason ?? 'miss';
    const result = new Map<string, Resolution>();
    let failed = await this.resolveOnce(ips, reason, result);
    if (this.options.onRemoteFailure !== 'block') return result;

    const disabled = this.chain.allDisabledError();
    if (disabled && [...result.values()].some((r) => r.kind === 'unanswered' && r.reason === 'disabled')) throw disabled;
    const started = performance.now();
    while (failed.length > 0) {
      const waited = performance.now() - started;
      const left = this.options.blockMaxWaitMs - waited;
      const allDisabled = this.chain.allDisabledError();
      if (allDisabled) throw allDisabled;
      if (left <= 0 || this.isClosed()) {
        throw new IpriskError(
          'REMOTE_UNAVAILABLE',
          `${failed.length} address(es) still unanswered after waiting ${Math.round(waited)} ms for the remote providers (on_remote_failure: block, block_max_wait_ms: ${this.options.blockMaxWaitMs})`,
          { canRetry: true },
        );
      }
      // Ask again once a circuit lets a trial through, or after block_retry_ms while circuits are closed.
      const until = this.chain.msUntilAvailable();
      await sleep(Math.min(left, until > 0 ? until : this.options.blockRetryMs), this.closing.signal);
      if (this.isClosed()) continue;
      failed = await this.resolveOnce(failed, reason, result);
    }
    return result;
  }

  /** Resolves when some provider may be asked again: for a consumer paused after REMOTE_UNAVAILABLE. */
  async waitForRecovery(signal?: AbortSignal): Promise<void> {
    const signals = signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
    while (!signals.aborted) {
      const until = this.chain.msUntilAvailable();
      if (until === 0) return;
      await sleep(Number.isFinite(until) ? until : this.options.blockRetryMs, signals);
    }
  }

  /** A method, so a check after an await reads the signal anew (a property read stays narrowed). */
  private isClosed(): boolean {
    return this.closing.signal.aborted;
  }

  status(): ProviderStatus[] {
    return this.chain.status();
  }

  get size(): number {
    return this.lru.size;
  }

  /** Stops waiting (blocked lookups reject), ends retries and closes the providers' connections. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.chain.close();
  }

  /**
   * One pass: cache, then in-flight requests, then one chain request for the rest. Returns the
   * addresses that failed for a transient reason and have no stale answer to fall back on.
   */
  private async resolveOnce(ips: readonly PublicIp[], reason: LookupReason, result: Map<string, Resolution>): Promise<PublicIp[]> {
    const now = this.clock();
    const seen = new Set<string>();
    const toAsk: PublicIp[] = [];
    const waits = new Map<Promise<Outcomes>, PublicIp[]>();
    const expired = new Map<string, Entry>();
    let hits = 0;
    for (const ip of ips) {
      if (seen.has(ip.ip)) continue;
      seen.add(ip.ip);
      const entry = this.lru.get(ip.ip);
      if (entry) {
        if (now < entry.freshUntil) {
          hits++;
          result.set(ip.ip, entry.answer ? { kind: 'answer', answer: entry.answer } : { kind: 'unknown' });
          continue;
        }
        if (now < entry.staleUntil) expired.set(ip.ip, entry);
        else this.lru.delete(ip.ip);
      }
      const flight = this.inflight.get(ip.ip);
      if (flight) {
        const list = waits.get(flight);
        if (list) list.push(ip);
        else waits.set(flight, [ip]);
      } else {
        toAsk.push(ip);
      }
    }
    if (toAsk.length > 0) waits.set(this.ask(toAsk, reason), toAsk);

    const failed: PublicIp[] = [];
    let staleServed = 0;
    for (const [flight, asked] of waits) {
      const outcomes = await flight;
      for (const ip of asked) {
        const outcome = outcomes.get(ip.ip) ?? { kind: 'unanswered', reason: 'error' };
        if (outcome.kind === 'answer') {
          result.set(ip.ip, { kind: 'answer', answer: { security: outcome.security, source: 'remote', matchedNetwork: null, stale: false } });
          continue;
        }
        if (outcome.kind === 'unknown') {
          result.set(ip.ip, { kind: 'unknown' });
          continue;
        }
        const old = expired.get(ip.ip);
        if (old) {
          staleServed++;
          result.set(ip.ip, old.answer ? { kind: 'answer', answer: { ...old.answer, stale: true } } : { kind: 'unknown' });
          continue;
        }
        result.set(ip.ip, { kind: 'unanswered', reason: outcome.reason });
        if (isTransient(outcome.reason)) failed.push(ip);
      }
    }
    this.metrics.hit?.inc(hits);
    this.metrics.miss?.inc(seen.size - hits - staleServed);
    this.metrics.stale?.inc(staleServed);
    return failed;
  }

  /** One chain request for these addresses, registered so concurrent callers share it. */
  private ask(ips: readonly PublicIp[], reason: LookupReason): Promise<Outcomes> {
    const settle = (outcomes: Outcomes): Outcomes => {
      this.store(outcomes);
      for (const ip of ips) if (this.inflight.get(ip.ip) === flight) this.inflight.delete(ip.ip);
      return outcomes;
    };
    const flight: Promise<Outcomes> = this.chain.resolve(ips, reason).then(settle, (err: unknown) => {
      // Providers report failures as outcomes; a throw here is a bug, and must not lose the batch.
      this.logger.error({ err }, 'remote chain failed unexpectedly: addresses left unanswered');
      return settle(new Map(ips.map((ip) => [ip.ip, { kind: 'unanswered', reason: 'error' }])));
    });
    for (const ip of ips) this.inflight.set(ip.ip, flight);
    return flight;
  }

  private store(outcomes: Outcomes): void {
    const now = this.clock();
    const { ttl_secs, clean_ttl_secs, stale_serve_secs } = this.options.cache;
    for (const [ip, outcome] of outcomes) {
      if (outcome.kind === 'unanswered') continue;
      const security = outcome.kind === 'answer' ? outcome.security : null;
      const ttlMs = (security === null || isClean(security) ? clean_ttl_secs : ttl_secs) * 1000;
      if (ttlMs + stale_serve_secs * 1000 <= 0) continue;
      const json = security === null ? '' : JSON.stringify(security);
      const answer: LookupAnswer | null =
        security === null ? null : { security, securityJson: json, source: 'cache', matchedNetwork: null, stale: false };
      this.lru.set(ip, {
        answer,
        freshUntil: now + ttlMs,
        staleUntil: now + ttlMs + stale_serve_secs * 1000,
        bytes: ENTRY_OVERHEAD_BYTES + ip.length * 2 + json.length,
      });
    }
    this.metrics.entries?.set(this.lru.size);
    if (this.evicted > 0) {
      this.metrics.evictions?.inc(this.evicted);
      this.evicted = 0;
    }
  }
}
