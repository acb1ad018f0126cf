import type { AlertEngine } from '../alerts/engine.js';
import type { RetroAlerts } from '../alerts/retro.js';
import type { IpriskConfig } from '../config/schema.js';
import type { IndexSource } from '../enrich/enricher.js';
import { AsOfEnricher } from '../enrich/as-of-enricher.js';
import { Enricher } from '../enrich/enricher.js';
import { SnapshotHistory } from '../history/snapshot-history.js';
import type { LookupProvider } from '../enrich/lookup-provider.js';
import type { InputRoute } from './batch.js';
import { BatchProcessor } from './batch.js';
import { OutputEncoder } from './output-encoder.js';
import type { Registry } from './registry.js';

/**
 * One route per configured input topic (or per topic named in `topics`): its kind and
 * format, an enricher with the topic's own IP fields over the shared index and fallback (or,
 * given a snapshot history, over the snapshot in force at each event's time; no fallback then),
 * and its enriched output topic (`enrichedTopic` overrides it, as a replay's --to-topic does).
 */
export function inputRoutes(
  config: IpriskConfig,
  index: IndexSource | SnapshotHistory,
  fallback: LookupProvider | undefined,
  options: { topics?: readonly string[]; enrichedTopic?: string } = {},
): Map<string, InputRoute> {
  const inputs = options.topics === undefined ? config.inputs : config.inputs.filter((i) => options.topics?.includes(i.topic));
  return new Map(
    inputs.map((input) => {
      const extraction = {
        ip_fields: input.ip_fields ?? config.enrich.ip_fields,
        xff_field: input.xff_field ?? config.enrich.xff_field,
        trusted_proxies: input.trusted_proxies ?? config.enrich.trusted_proxies,
      };
      return [
        input.topic,
        {
          topic: input.topic,
          kind: input.kind,
          format: input.format,
          enrichedTopic: options.enrichedTopic ?? config.outputs.enriched.topic ?? `${input.topic}${config.outputs.enriched.per_input_suffix}`,
          enricher:
            index instanceof SnapshotHistory
              ? new AsOfEnricher({ history: index, extraction })
              : new Enricher({ index, extraction, maxIndexAgeSecs: config.index.max_age_secs, ...(fallback ? { fallback } : {}) }),
        },
      ];
    }),
  );
}

/** The per-batch processor for the configured outputs. */
export function batchProcessor(config: IpriskConfig, registry: Registry | undefined, alerts: AlertEngine, retro?: RetroAlerts): BatchProcessor {
  return new BatchProcessor(
    {
      enrichedFormat: config.outputs.enriched.format,
      alertsTopic: config.outputs.alerts.topic,
      alertsFormat: config.outputs.alerts.format,
      dlqTopic: config.outputs.dlq.topic,
      maxRecordBytes: config.pipeline.max_record_bytes,
    },
    registry,
    new OutputEncoder(registry),
    alerts,
    retro,
  );
}
