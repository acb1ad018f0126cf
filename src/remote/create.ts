import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, errorMessage } from '../errors.js';
import type { ScoreWeights } from '../security/score.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { CachedRemote } from './cache.js';
import { RemoteChain } from './chain.js';
import { HttpClient } from './http.js';
import { IpgeolocationProtocol } from './ipgeolocation.js';
import { IpqsProtocol } from './ipqs.js';
import { PolicedProvider } from './policy.js';
import type { Protocol } from './protocol.js';
import type { ProviderConfig, RemoteConfig } from './remote-schema.js';
import { DEFAULT_BASE_URLS } from './remote-schema.js';

export interface RemoteDeps {
  logger: Logger;
  metrics?: Metrics | undefined;
  /** Epoch milliseconds; drives cache TTLs, the breaker's open time and the budget. */
  clock?: () => number;
  /** Folder that relative api_key_file paths resolve against (the config file's). */
  baseDir?: string;
  /** Where api_key_env names are read. */
  env?: NodeJS.ProcessEnv;
  /** Score model weights, for answers that carry flags without a score. */
  weights?: Readonly<ScoreWeights>;
  /** Jitter source for retry backoff. */
  random?: () => number;
}

/**
 * The provider's key from api_key, api_key_env or api_key_file (at most one, checked by the
 * schema). Problems name the config path and never the key.
 */
export function resolveApiKey(p: ProviderConfig, where: string, deps: Pick<RemoteDeps, 'baseDir' | 'env'>, problems: string[]): string | undefined {
  if (p.api_key !== undefined) return p.api_key;
  if (p.api_key_env !== undefined) {
    const value = (deps.env ?? process.env)[p.api_key_env]?.trim();
    if (!value) problems.push(`${where}.api_key_env: environment variable ${p.api_key_env} is not set or empty`);
    return value || undefined;
  }
  if (p.api_key_file !== undefined) {
    const file = path.resolve(deps.baseDir ?? process.cwd(), p.api_key_file);
    try {
      const value = readFileSync(file, 'utf8').trim();
      if (value === '') problems.push(`${where}.api_key_file: ${file} is empty`);
      return value || undefined;
    } catch (err) {
      problems.push(`${where}.api_key_file: cannot read ${file}: ${errorMessage(err)}`);
      return undefined;
    }
  }
  return undefined;
}

function protocolFor(p: ProviderConfig, apiKey: string | undefined, weights: Readonly<ScoreWeights> | undefined): Protocol {
  if (p.type === 'ipqs') return new IpqsProtocol({ apiKey: apiKey ?? '', options: p.ipqs, ...(weights ? { weights } : {}) });
  // iprisk serve speaks ipgeolocation's protocol; only its name and base URL differ.
  return new IpgeolocationProtocol({
    type: p.type,
    apiKey,
    fields: p.fields,
    maxIpsPerRequest: p.max_ips_per_request,
    singleIpEndpoint: p.single_ip_endpoint,
    ...(weights ? { weights } : {}),
  });
}

/**
 * The remote fallback for the enricher: the configured providers (those not `ask: never`) in
 * a chain behind the answer cache; undefined when none is configured. Keys are resolved now,
 * so a missing key stops the start with the config path named.
 *
 *   const remote = createRemote(config.remote, { logger, metrics, baseDir, weights: config.score });
 *   new Enricher({ ..., fallback: remote });  ...  await remote?.close();
 */
export function createRemote(config: RemoteConfig, deps: RemoteDeps): CachedRemote | undefined {
  const clock = deps.clock ?? Date.now;
  const problems: string[] = [];
  const prepared: { p: ProviderConfig; name: string; apiKey: string | undefined; baseUrl: string }[] = [];
  config.providers.forEach((p, i) => {
    if (p.ask === 'never') return;
    const apiKey = resolveApiKey(p, `remote.providers.${i}`, deps, problems);
    const baseUrl = p.base_url ?? DEFAULT_BASE_URLS[p.type];
    if (baseUrl === undefined) problems.push(`remote.providers.${i}.base_url: a ${p.type} provider needs base_url`);
    else prepared.push({ p, name: p.name ?? p.type, apiKey, baseUrl });
  });
  if (problems.length > 0) throw new ConfigError('remote', problems);
  if (prepared.length === 0) return undefined;

  const providers = prepared.map(({ p, name, apiKey, baseUrl }) => {
    const protocol = protocolFor(p, apiKey, deps.weights);
    const http = new HttpClient(baseUrl, { connections: p.concurrency, timeoutMs: p.timeout_ms });
    return new PolicedProvider(
      {
        name,
        ask: p.ask,
        retries: p.retries,
        backoffBaseMs: p.backoff_base_ms,
        backoffMaxMs: p.backoff_max_ms,
        retryAfterMaxMs: p.retry_after_max_ms,
        concurrency: p.concurrency,
        budgetIpsPerMinute: p.budget_ips_per_minute,
        failureThreshold: p.breaker.failure_threshold,
        openMs: p.breaker.open_ms,
      },
      protocol,
      http,
      { logger: deps.logger, metrics: deps.metrics, clock, ...(deps.random ? { random: deps.random } : {}) },
    );
  });
  deps.logger.info(
    { providers: prepared.map(({ name, p, baseUrl }) => ({ name, type: p.type, origin: new URL(baseUrl).origin, ask: p.ask })) },
    'remote fallback enabled',
  );
  return new CachedRemote(
    new RemoteChain(providers),
    {
      cache: config.cache,
      onRemoteFailure: config.on_remote_failure,
      blockMaxWaitMs: config.block_max_wait_ms,
      blockRetryMs: config.block_retry_ms,
      asksWhenStale: prepared.some(({ p }) => p.ask === 'stale'),
    },
    { logger: deps.logger, metrics: deps.metrics, clock },
  );
}
