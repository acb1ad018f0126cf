import type { Counter } from 'prom-client';
import type { PublicIp } from '../enrich/lookup-provider.js';
import { IpriskError } from '../errors.js';
import { backoffMs, parseRetryAfter, sleep } from '../net/retry.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { CIRCUIT_GAUGE, CircuitBreaker } from './breaker.js';
import { IpBudget } from './budget.js';
import type { HttpClient, HttpResponse } from './http.js';
import { TransportError, headerValue } from './http.js';
import { ConcurrencyLimiter } from './limiter.js';
import type { Definitive, Protocol, ProtocolRequest } from './protocol.js';
import type { AskMode } from './remote-schema.js';
import type { LookupReason, Outcomes, ProviderStatus, RemoteProvider, UnansweredReason } from './types.js';

export interface PolicyOptions {
  name: string;
  ask: AskMode;
  retries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  retryAfterMaxMs: number;
  concurrency: number;
  budgetIpsPerMinute: number;
  failureThreshold: number;
  openMs: number;
}

export interface PolicyDeps {
  logger: Logger;
  metrics?: Metrics | undefined;
  clock: () => number;
  /** Source of jitter; Math.random by default. */
  random?: () => number;
}

/** Outcome labels of iprisk_remote_requests_total. */
export const REQUEST_OUTCOMES = ['ok', 'rate_limited', 'server_error', 'timeout', 'network', 'malformed', 'unauthorized', 'client_error'] as const;
type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

const SKIP_REASONS = ['budget', 'circuit_open', 'disabled'] as const;

/** What one attempt of one request came to. */
type Attempt =
  | { kind: 'answers'; answers: Map<string, Definitive>; stray: number }
  | { kind: 'refused' }
  | { kind: 'closed' }
  | { kind: 'unauthorized' }
  | { kind: 'too_large' }
  | { kind: 'client_error'; status: number; detail: string }
  | { kind: 'retry'; outcome: RequestOutcome; detail: string; waitMs: number | undefined };

/** Metric children bound once per provider. */
class ProviderMetrics {
  readonly requests: Record<RequestOutcome, { inc(n?: number): void }>;
  readonly skipped: Record<(typeof SKIP_REASONS)[number], { inc(n?: number): void }>;
  readonly seconds: { observe(v: number): void } | undefined;
  readonly ips: { inc(n?: number): void } | undefined;
  readonly credits: { inc(n?: number): void } | undefined;
  readonly circuit: { set(v: number): void } | undefined;

  constructor(name: string, metrics: Metrics | undefined) {
    const none = { inc: (): void => undefined };
    const bind = <L extends string>(counter: Counter | undefined, labels: readonly L[]): Record<L, { inc(n?: number): void }> =>
      Object.fromEntries(labels.map((l) => [l, counter ? counter.labels(name, l) : none])) as Record<L, { inc(n?: number): void }>;
    this.requests = bind(metrics?.remoteRequests, REQUEST_OUTCOMES);
    this.skipped = bind(metrics?.remoteSkippedIps, SKIP_REASONS);
    this.seconds = metrics?.remoteSeconds.labels(name);
    this.ips = metrics?.remoteIps.labels(name);
    this.credits = metrics?.remoteCredits.labels(name);
    this.circuit = metrics?.circuitState.labels(name);
  }
}

/**
 * One provider behind its policy: the IPs-per-minute budget, bounded concurrency, a timeout
 * per request (in the HTTP client), retries with full-jitter backoff and Retry-After, a circuit
 * breaker, and the 401/403 rule (disabled for good, reported once at error level).
 *
 * Every address asked comes back with an outcome: an answer, "unknown" (the provider replied
 * with a message in place of a record), or unanswered with the reason. Answers are matched to
 * addresses by the address they carry, never by position; an address the reply did not cover
 * is asked again within the retries, then left unanswered, never given another's answer.
 */
export class PolicedProvider implements RemoteProvider {
  readonly name: string;
  private readonly options: PolicyOptions;
  private readonly protocol: Protocol;
  private readonly http: HttpClient;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly breaker: CircuitBreaker;
  private readonly budget: IpBudget;
  private readonly limiter: ConcurrencyLimiter;
  private readonly metrics: ProviderMetrics;
  private readonly closing = new AbortController();
  private disabled: IpriskError | undefined;
  private readonly reportedMessages = new Set<string>();

  constructor(options: PolicyOptions, protocol: Protocol, http: HttpClient, deps: PolicyDeps) {
    this.name = options.name;
    this.options = options;
    this.protocol = protocol;
    this.http = http;
    this.logger = deps.logger.child({ provider: options.name, provider_type: protocol.type });
    this.clock = deps.clock;
    this.random = deps.random ?? Math.random;
    this.metrics = new ProviderMetrics(options.name, deps.metrics);
    this.metrics.circuit?.set(CIRCUIT_GAUGE.closed);
    this.breaker = new CircuitBreaker({
      failureThreshold: options.failureThreshold,
      openMs: options.openMs,
      clock: deps.clock,
      onChange: (state) => {
        this.metrics.circuit?.set(CIRCUIT_GAUGE[state]);
        if (state === 'open') this.logger.warn({ open_ms: options.openMs }, 'remote provider failing: circuit opened, requests refused until a trial succeeds');
        else if (state === 'closed') this.logger.info('remote provider answering again: circuit closed');
      },
    });
    this.budget = new IpBudget(options.budgetIpsPerMinute, deps.clock);
    this.limiter = new ConcurrencyLimiter(options.concurrency);
  }

  get disabledError(): IpriskError | undefined {
    return this.disabled;
  }

  status(): ProviderStatus {
    return { name: this.name, type: this.protocol.type, circuit: this.breaker.current, disabled: this.disabled?.message ?? null };
  }

  msUntilAvailable(): number {
    return this.disabled ? Infinity : this.breaker.msUntilTrial();
  }

  async resolve(ips: readonly PublicIp[], reason: LookupReason): Promise<Outcomes> {
    const out: Outcomes = new Map();
    const ask = this.options.ask;
    if (ask === 'never' || (reason === 'stale' && ask !== 'stale')) {
      this.mark(out, ips, 'skipped');
      return out;
    }
    if (this.disabled) {
      this.mark(out, ips, 'disabled');
      return out;
    }
    const granted = this.budget.take(ips.length);
    if (granted < ips.length) {
      this.mark(out, ips.slice(granted), 'budget');
      this.logger.debug({ over_budget: ips.length - granted, budget_ips_per_minute: this.options.budgetIpsPerMinute }, 'remote budget spent: addresses left unanswered');
    }
    const chunks: PublicIp[][] = [];
    for (let i = 0; i < granted; i += this.protocol.maxIpsPerRequest) chunks.push(ips.slice(i, Math.min(granted, i + this.protocol.maxIpsPerRequest)));
    await Promise.all(chunks.map((chunk) => this.runChunk(chunk, out)));
    // Every asked address leaves with an outcome: whatever slipped through is unanswered.
    for (const ip of ips) if (!out.has(ip.ip)) out.set(ip.ip, { kind: 'unanswered', reason: 'error' });
    return out;
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.http.close();
  }

  private mark(out: Outcomes, ips: readonly PublicIp[], reason: UnansweredReason): void {
    for (const ip of ips) out.set(ip.ip, { kind: 'unanswered', reason });
    if (reason === 'budget' || reason === 'circuit_open' || reason === 'disabled') this.metrics.skipped[reason].inc(ips.length);
  }

  private async runChunk(ips: readonly PublicIp[], out: Outcomes): Promise<void> {
    let pending = ips;
    for (let attempt = 0; ; attempt++) {
      const result = await this.limiter.run(() => this.attempt(pending));
      let waitMs: number | undefined;
      switch (result.kind) {
        case 'refused':
          this.mark(out, pending, this.disabled ? 'disabled' : 'circuit_open');
          return;
        case 'closed':
          this.mark(out, pending, 'error');
          return;
        case 'unauthorized':
          this.mark(out, pending, 'disabled');
          return;
        case 'too_large': {
          if (pending.length === 1) {
            this.mark(out, pending, 'error');
            return;
          }
          // 413: the body is over the provider's limit; halves go separately.
          const half = Math.ceil(pending.length / 2);
          await Promise.all([this.runChunk(pending.slice(0, half), out), this.runChunk(pending.slice(half), out)]);
          return;
        }
        case 'client_error':
          this.logger.warn({ status: result.status, detail: result.detail, ips: pending.length }, 'remote provider rejected the request (not retried)');
          this.mark(out, pending, 'error');
          return;
        case 'answers': {
          this.record(result.answers);
          for (const ip of pending) {
            const answer = result.answers.get(ip.ip);
            if (answer) out.set(ip.ip, answer);
          }
          const missing = pending.filter((ip) => !result.answers.has(ip.ip));
          if (result.stray > 0 || missing.length > 0) {
            this.logger.warn({ asked: pending.length, unmatched: missing.length, stray_entries: result.stray }, 'remote answer did not match the addresses asked: unmatched ones asked again, stray entries ignored');
          }
          if (missing.length === 0) return;
          pending = missing;
          break;
        }
        case 'retry':
          waitMs = result.waitMs;
          if (attempt >= this.options.retries) {
            this.logger.warn({ outcome: result.outcome, detail: result.detail, attempts: attempt + 1, ips: pending.length }, 'remote request failed: addresses left unanswered');
          }
          break;
      }
      if (attempt >= this.options.retries) {
        this.mark(out, pending, 'error');
        return;
      }
      await sleep(waitMs ?? backoffMs(attempt, this.options.backoffBaseMs, this.options.backoffMaxMs, 'full', this.random), this.closing.signal);
      if (this.closing.signal.aborted) {
        this.mark(out, pending, 'error');
        return;
      }
    }
  }

  /** One request, with the breaker's permission, measured and classified. */
  private async attempt(ips: readonly PublicIp[]): Promise<Attempt> {
    if (this.closing.signal.aborted) return { kind: 'closed' };
    if (this.disabled || !this.breaker.tryAcquire()) return { kind: 'refused' };
    const request = this.protocol.build(ips);
    this.metrics.ips?.inc(ips.length);
    const started = performance.now();
    let response: HttpResponse;
    try {
      response = await this.http.request(request);
    } catch (err) {
      this.metrics.seconds?.observe((performance.now() - started) / 1000);
      if (err instanceof TransportError && err.kind === 'closed') {
        this.breaker.release();
        return { kind: 'closed' };
      }
      const outcome = err instanceof TransportError && err.kind === 'timeout' ? 'timeout' : 'network';
      return this.failed(outcome, request, this.protocol.redact(err instanceof Error ? err.message : String(err)), undefined);
    }
    this.metrics.seconds?.observe((performance.now() - started) / 1000);
    this.countCredits(response);
    return this.classify(response, request, ips);
  }

  private classify(response: HttpResponse, request: ProtocolRequest, ips: readonly PublicIp[]): Attempt {
    const { status } = response;
    if (status >= 200 && status < 300) {
      const read = this.protocol.read(response.body, ips);
      if (read.kind === 'malformed') return this.failed('malformed', request, read.detail, undefined);
      if (read.kind === 'refused') return this.unauthorized(status, read.detail);
      this.succeeded();
      return read;
    }
    if (status === 401 || status === 403) return this.unauthorized(status, this.detail(response));
    if (status === 429) {
      const wait = parseRetryAfter(headerValue(response.headers, 'retry-after'), this.clock(), this.options.retryAfterMaxMs);
      return this.failed('rate_limited', request, this.detail(response), wait);
    }
    if (status >= 500 || status === 499) return this.failed('server_error', request, this.detail(response), undefined);
    if (status === 413 && ips.length > 1) {
      // The provider answered; the request was too big. Not a sign of ill health.
      this.metrics.requests.client_error.inc();
      this.succeeded(false);
      return { kind: 'too_large' };
    }
    const perIp = this.protocol.readClientError(status, response.body, ips);
    if (perIp?.kind === 'answers') {
      this.succeeded();
      return perIp;
    }
    this.metrics.requests.client_error.inc();
    this.breaker.failure();
    return { kind: 'client_error', status, detail: `${request.logPath}: HTTP ${status} ${this.detail(response)}` };
  }

  private succeeded(count = true): void {
    if (count) this.metrics.requests.ok.inc();
    this.breaker.success();
  }

  private failed(outcome: RequestOutcome, request: ProtocolRequest, detail: string, waitMs: number | undefined): Attempt {
    this.metrics.requests[outcome].inc();
    this.breaker.failure();
    this.logger.debug({ path: request.logPath, outcome, detail }, 'remote request failed');
    return { kind: 'retry', outcome, detail: `${request.logPath}: ${detail}`, waitMs };
  }

  private unauthorized(status: number, detail: string): Attempt {
    this.metrics.requests.unauthorized.inc();
    this.breaker.release();
    // Disabled before the concurrency slot is handed on, so no queued request goes out after it.
    this.disable(status, detail);
    return { kind: 'unauthorized' };
  }

  /** A 401/403 (or IPQS's own key/credit message): no further requests, reported once. */
  private disable(status: number, detail: string): void {
    if (this.disabled) return;
    const what = detail === '' ? '' : `: ${detail}`;
    this.disabled = new IpriskError(
      'REMOTE_UNAUTHORIZED',
      `remote provider '${this.name}' (${this.protocol.type}) refused its API key or account (HTTP ${status}${what}); it is disabled: fix the key or the account and restart`,
    );
    this.logger.error({ status, code: this.disabled.code }, this.disabled.message);
  }

  private countCredits(response: HttpResponse): void {
    const charged = headerValue(response.headers, 'x-credits-charged');
    if (charged === undefined) return;
    const credits = Number(charged);
    if (Number.isFinite(credits) && credits > 0) this.metrics.credits?.inc(credits);
  }

  /** Messages in place of answers are expected (bogons, bad input): reported once each, at info. */
  private record(answers: ReadonlyMap<string, Definitive>): void {
    for (const answer of answers.values()) {
      if (answer.kind !== 'unknown' || this.reportedMessages.has(answer.message) || this.reportedMessages.size >= 100) continue;
      this.reportedMessages.add(answer.message);
      this.logger.info({ message_text: answer.message }, 'remote provider answered an address with a message instead of a record');
    }
  }

  /** The provider's own words from an error body, secrets removed, cut short. */
  private detail(response: HttpResponse): string {
    let text = response.body.trim();
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed !== null && typeof parsed === 'object' && 'message' in parsed && typeof parsed.message === 'string') text = parsed.message;
    } catch {
      // Not JSON: the raw text, shortened, is the best description there is.
    }
    return this.protocol.redact(text.length > 200 ? `${text.slice(0, 200)}...` : text);
  }
}
