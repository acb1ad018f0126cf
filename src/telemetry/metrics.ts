import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric iprisk exports (SPEC section 8), defined here once: prefix `iprisk_`, base
 * units in the name, `_total` counters, bounded labels only (never an IP). Stages receive this
 * object and bind label children once at construction.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'iprisk_' });
  const registers = [registry];

  return {
    registry,

    // Pipeline (Kafka run)
    eventsConsumed: new Counter({ name: 'iprisk_events_consumed_total', help: 'Records read from input topics', labelNames: ['topic'], registers }),
    eventsEnriched: new Counter({
      name: 'iprisk_events_enriched_total',
      help: 'Events emitted enriched, by where their answer came from',
      labelNames: ['source'],
      registers,
    }),
    dlq: new Counter({ name: 'iprisk_dlq_records_total', help: 'Records sent to the dead-letter topic, by reason', labelNames: ['reason'], registers }),
    alertsEmitted: new Counter({ name: 'iprisk_alerts_emitted_total', help: 'Alerts emitted, by rule', labelNames: ['rule', 'severity'], registers }),
    alertsSuppressed: new Counter({ name: 'iprisk_alerts_suppressed_total', help: 'Alert matches suppressed inside their window, by rule', labelNames: ['rule'], registers }),
    retroAddresses: new Gauge({ name: 'iprisk_alerts_retro_addresses', help: 'Addresses remembered for retro-alerts (seen within alerts.retro.lookback_secs)', registers }),
    retroEvictions: new Counter({
      name: 'iprisk_alerts_retro_evictions_total',
      help: 'Addresses forgotten by the retro-alert memory, by reason: capacity (max_addresses reached, least recently seen first) or expired (lookback passed)',
      labelNames: ['reason'],
      registers,
    }),
    retroAlerts: new Counter({
      name: 'iprisk_alerts_retro_emitted_total',
      help: 'Retro-alerts produced and acknowledged after an index swap, by rule',
      labelNames: ['rule', 'severity'],
      registers,
    }),
    batchSize: new Histogram({ name: 'iprisk_batch_events', help: 'Events per batch', buckets: [1, 10, 50, 100, 500, 1000, 5000, 10000], registers }),
    batchUniqueIps: new Histogram({ name: 'iprisk_batch_unique_ips', help: 'Unique client IPs per batch', buckets: [1, 10, 50, 100, 500, 1000, 5000, 10000], registers }),
    batchStageSeconds: new Histogram({
      name: 'iprisk_batch_stage_duration_seconds',
      help: 'Time spent per batch in each stage: decode, enrich (index lookup and remote fallback), encode, produce_commit (produce, acknowledgement and offset commit)',
      labelNames: ['stage'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    consumerLag: new Gauge({ name: 'iprisk_consumer_lag_records', help: 'High watermark minus committed offset, per partition', labelNames: ['topic', 'partition'], registers }),
    endToEndSeconds: new Histogram({
      name: 'iprisk_end_to_end_latency_seconds',
      help: 'Event time to enriched record acknowledged',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300],
      registers,
    }),

    // Index
    indexLookups: new Counter({ name: 'iprisk_index_lookups_total', help: 'Index lookups of public addresses, hit or miss', labelNames: ['result'], registers }),
    indexRanges: new Gauge({ name: 'iprisk_index_ranges', help: 'Ranges holding an answer in the serving index', labelNames: ['family'], registers }),
    indexInfo: new Gauge({ name: 'iprisk_index_info', help: 'Always 1; the serving index version as a label', labelNames: ['version'], registers }),
    indexBuiltSeconds: new Gauge({ name: 'iprisk_index_built_timestamp_seconds', help: 'Build time of the serving index (age = now - this)', registers }),
    indexReloads: new Counter({ name: 'iprisk_index_reloads_total', help: 'Snapshot reloads, by outcome', labelNames: ['outcome'], registers }),

    // Remote fallback and cache
    remoteRequests: new Counter({ name: 'iprisk_remote_requests_total', help: 'Requests to remote providers, by outcome', labelNames: ['provider', 'outcome'], registers }),
    remoteSeconds: new Histogram({
      name: 'iprisk_remote_request_duration_seconds',
      help: 'Remote provider request latency',
      labelNames: ['provider'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    remoteIps: new Counter({ name: 'iprisk_remote_ips_total', help: 'Addresses asked of remote providers', labelNames: ['provider'], registers }),
    remoteCredits: new Counter({ name: 'iprisk_remote_credits_total', help: 'Credits charged by remote providers (X-Credits-Charged)', labelNames: ['provider'], registers }),
    remoteSkippedIps: new Counter({
      name: 'iprisk_remote_skipped_ips_total',
      help: 'Addresses a provider was not asked about, by reason (budget, circuit_open, disabled)',
      labelNames: ['provider', 'reason'],
      registers,
    }),
    circuitState: new Gauge({ name: 'iprisk_remote_circuit_state', help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open', labelNames: ['provider'], registers }),
    cacheLookups: new Counter({ name: 'iprisk_cache_lookups_total', help: 'Answer cache lookups, hit or miss (stale hits counted as stale)', labelNames: ['result'], registers }),
    cacheEntries: new Gauge({ name: 'iprisk_cache_entries', help: 'Answers held in the cache', registers }),
    cacheEvictions: new Counter({ name: 'iprisk_cache_evictions_total', help: 'Answers evicted from the cache', registers }),

    // HTTP API (serve)
    httpRequests: new Counter({ name: 'iprisk_http_requests_total', help: 'API requests, by route and status', labelNames: ['route', 'status'], registers }),
    httpSeconds: new Histogram({
      name: 'iprisk_http_request_duration_seconds',
      help: 'API request latency',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    httpBulkIps: new Histogram({ name: 'iprisk_http_bulk_ips', help: 'Addresses per bulk request', buckets: [1, 10, 100, 1000, 10000, 50000], registers }),

    // Feed updates
    feedUpdates: new Counter({ name: 'iprisk_feed_updates_total', help: 'Feed downloads, by source and outcome', labelNames: ['source', 'outcome'], registers }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
