import { AlertEngine } from '../alerts/engine.js';
import { openHistory } from '../cli/history-options.js';
import type { IndexSpec } from '../cli/open-index.js';
import { openIndexSpec, servedView } from '../cli/open-index.js';
import type { IpriskConfig } from '../config/schema.js';
import type { EventKind } from '../enrich/enricher.js';
import { Enricher } from '../enrich/enricher.js';
import { AsOfChunkEnricher } from './as-of-chunk-enricher.js';
import type { ChunkResult } from './chunk-enricher.js';
import { ChunkEnricher } from './chunk-enricher.js';

/** A snapshot history to judge each line by (`enrich --history`), as plain data. */
export interface HistorySpec {
  dir: string;
  cacheSize: number;
}

/** What enriches chunks: one index (ChunkEnricher) or a history (AsOfChunkEnricher). */
export interface ChunkWork {
  /** `spare`: a buffer nothing else uses any more, which the output may be written into. */
  enrich(bytes: Uint8Array, spare?: ArrayBuffer): Promise<ChunkResult>;
}

/**
 * What a worker thread of `iprisk enrich --workers` starts from: plain data only, since a live
 * index or enricher cannot cross threads. Each worker opens its own copy of the index.
 */
export interface EnrichWorkerSetup {
  index: IndexSpec;
  config: IpriskConfig;
  kind?: EventKind;
  batchSize: number;
  /** Given: each worker opens this history folder itself and `index` is not used. */
  history?: HistorySpec;
}

/**
 * The ChunkEnricher a setup describes. No remote fallback: its cache and circuit breaker are per
 * process, and answers would depend on which worker asked first, so file mode with remote
 * providers enriches on one thread.
 */
export async function chunkEnricherOf(setup: EnrichWorkerSetup): Promise<ChunkWork> {
  const { config } = setup;
  if (setup.history !== undefined) {
    return new AsOfChunkEnricher({
      history: await openHistory(setup.history.dir, setup.history.cacheSize, servedView(config)),
      extraction: config.enrich,
      alerts: new AlertEngine(config.alerts, { clock: Date.now }),
      ...(setup.kind === undefined ? {} : { kind: setup.kind }),
      batchSize: setup.batchSize,
    });
  }
  const index = await openIndexSpec(setup.index, servedView(config));
  return new ChunkEnricher({
    enricher: new Enricher({ index: { current: index }, extraction: config.enrich, maxIndexAgeSecs: config.index.max_age_secs }),
    // Matching only, which is stateless; suppression happens on the main thread in input order.
    alerts: new AlertEngine(config.alerts, { clock: Date.now }),
    ...(setup.kind === undefined ? {} : { kind: setup.kind }),
    batchSize: setup.batchSize,
  });
}
