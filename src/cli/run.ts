import type { Command } from 'commander';
import { AlertEngine } from '../alerts/engine.js';
import { RetroAlerts } from '../alerts/retro.js';
import type { Alert } from '../alerts/types.js';
import type { LoadedConfig } from '../config/load.js';
import { loadConfig, resolvePath } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { createKafka } from '../kafka/client.js';
import { OutputEncoder } from '../kafka/output-encoder.js';
import { Pipeline } from '../kafka/pipeline.js';
import { registryFromConfig } from '../kafka/registry.js';
import { RetroAlertSink } from '../kafka/retro-sink.js';
import { batchProcessor, inputRoutes } from '../kafka/routes.js';
import { ensureTopics } from '../kafka/topics.js';
import { IndexHolder } from '../range-index/reload.js';
import { createRemote } from '../remote/create.js';
import type { RangeIndex } from '../range-index/types.js';
import { createLogger } from '../telemetry/logger.js';
import type { Logger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import type { Metrics } from '../telemetry/metrics.js';
import { startOpsServer } from '../telemetry/ops-server.js';
import { sampleIndex, servedView } from './open-index.js';

/** Problems `run` needs solved that the schema alone cannot see, listed together by path. */
function runProblems(loaded: LoadedConfig): string[] {
  const { config } = loaded;
  const problems: string[] = [];
  if (config.inputs.length === 0) problems.push('inputs: at least one input topic is needed to run');
  const avro = config.outputs.enriched.format === 'avro' || config.outputs.alerts.format === 'avro' || config.inputs.some((i) => i.format !== 'json');
  if (avro && config.schema_registry === undefined) {
    problems.push('schema_registry.url: Avro input or output (the default) needs a Confluent-compatible schema registry');
  }
  if (config.alerts.retro.enabled && (config.index.path === undefined || !config.index.watch)) {
    problems.push('alerts.retro.enabled: retro-alerts come from index swaps, which need index.path set and index.watch on');
  }
  return problems;
}

/** Exports the serving index's version, age and size, and keeps them current across reloads. */
function exportIndex(metrics: Metrics, index: RangeIndex, previous?: RangeIndex): void {
  if (previous) metrics.indexInfo.remove({ version: previous.version });
  metrics.indexInfo.set({ version: index.version }, 1);
  metrics.indexBuiltSeconds.set(index.builtAt.getTime() / 1000);
  metrics.indexRanges.set({ family: 'ipv4' }, index.stats.rangesV4);
  metrics.indexRanges.set({ family: 'ipv6' }, index.stats.rangesV6);
}

async function openHolder(loaded: LoadedConfig, metrics: Metrics, logger: Logger, onSwap: (index: RangeIndex) => void): Promise<IndexHolder> {
  const { index } = loaded.config;
  if (index.path === undefined) {
    logger.warn('index.path is not set: serving the bundled sample index, which is for trying iprisk out only');
    const holder = new IndexHolder(servedView(loaded.config)(await sampleIndex()));
    exportIndex(metrics, holder.current);
    return holder;
  }
  const file = resolvePath(loaded, index.path);
  const holder = await IndexHolder.open(file, servedView(loaded.config));
  exportIndex(metrics, holder.current);
  if (index.watch) {
    let serving = holder.current;
    holder.watchSnapshot(file, {
      debounceMs: index.reload_debounce_ms,
      logger,
      onReload: (outcome) => {
        metrics.indexReloads.inc({ outcome });
        if (outcome === 'success') {
          exportIndex(metrics, holder.current, serving);
          serving = holder.current;
          onSwap(holder.current);
        }
      },
    });
  }
  return holder;
}

/** The retro-alert memory, when `alerts.retro.enabled` (and alerts at all) ask for it. */
function retroAlerts(loaded: LoadedConfig, metrics: Metrics): RetroAlerts | undefined {
  const { alerts } = loaded.config;
  if (!alerts.retro.enabled) return undefined;
  return new RetroAlerts(alerts.rules, alerts.retro, {
    clock: Date.now,
    onStats: (stats) => {
      metrics.retroAddresses.set(stats.remembered);
      if (stats.evictedCapacity > 0) metrics.retroEvictions.inc({ reason: 'capacity' }, stats.evictedCapacity);
      if (stats.expired > 0) metrics.retroEvictions.inc({ reason: 'expired' }, stats.expired);
    },
  });
}

/** After a swap: the remembered addresses that newly match a rule, produced to the alerts topic. */
function produceRetroAlerts(retro: RetroAlerts, sink: RetroAlertSink, index: RangeIndex, logger: Logger): void {
  const started = performance.now();
  const remembered = retro.size;
  let found: Alert[];
  try {
    found = retro.evaluate(index);
  } catch (err) {
    // Called from the index holder's reload: a throw here would reject a reload nobody awaits.
    logger.error({ err, version: index.version }, 'retro-alert look-back failed; the new index serves all the same');
    return;
  }
  const evaluateMs = Math.round(performance.now() - started);
  sink.send(found).then(
    () => {
      logger.info({ version: index.version, addresses: remembered, alerts: found.length, evaluate_ms: evaluateMs }, 'retro-alerts produced');
    },
    (err: unknown) => {
      logger.error({ err, version: index.version, alerts: found.length }, 'retro-alerts could not be produced; they are lost');
    },
  );
}

export interface RunningPipeline {
  pipeline: Pipeline;
  opsUrl: string;
  stop(): Promise<void>;
}

/** The composition root of `iprisk run`: config -> stages -> pipeline -> graceful shutdown. */
export async function startRun(loaded: LoadedConfig, logger: Logger): Promise<RunningPipeline> {
  const problems = runProblems(loaded);
  if (problems.length > 0) throw new ConfigError(loaded.file ?? 'configuration', problems);
  const { config, baseDir } = loaded;
  const metrics = createMetrics();
  const retro = retroAlerts(loaded, metrics);
  const sink: { retro?: RetroAlertSink } = {};
  const holder = await openHolder(loaded, metrics, logger, (index) => {
    if (retro !== undefined && sink.retro !== undefined) produceRetroAlerts(retro, sink.retro, index, logger);
  });
  const registry = registryFromConfig(config.schema_registry, baseDir);
  const alerts = new AlertEngine(config.alerts, { clock: Date.now });
  // Index misses go to the remote providers when some are configured (SPEC section 6).
  const fallback = createRemote(config.remote, { logger, metrics, baseDir, weights: config.score });
  const routes = inputRoutes(config, holder, fallback);
  const processor = batchProcessor(config, registry, alerts, retro);
  // Up before the broker is reached: /healthz answers and /readyz says why while Kafka is away.
  const started: { pipeline?: Pipeline } = {};
  const ops = await startOpsServer({
    host: config.http.host,
    port: config.http.port,
    registry: metrics.registry,
    ready: () => (started.pipeline?.ready ? undefined : `consumer is ${started.pipeline?.state ?? 'connecting'}`),
  });
  // A start that fails (a refused credential, a broker that never answers) must end the process:
  // the ops server, the index watcher and the remote client would otherwise keep it alive,
  // printing the error but never exiting.
  let pipeline: Pipeline | undefined;
  // The pipeline first (its batch in flight still needs the index and the remote), then the
  // rest, even when stopping the pipeline failed.
  const closeAll = async (): Promise<void> => {
    try {
      await pipeline?.stop();
    } finally {
      holder.close();
      await sink.retro?.stop().catch((err: unknown) => {
        logger.error({ err }, 'stopping the retro-alert producer failed');
      });
      await fallback?.close();
      await ops.close();
    }
  };
  try {
    const kafka = createKafka(config.kafka, baseDir, logger);
    await ensureTopics(
      kafka,
      [...routes.keys(), ...[...routes.values()].map((r) => r.enrichedTopic), config.outputs.alerts.topic, config.outputs.dlq.topic],
      logger,
    );
    if (retro !== undefined) {
      const retroSink = new RetroAlertSink({
        kafka,
        encoder: new OutputEncoder(registry),
        topic: config.outputs.alerts.topic,
        format: config.outputs.alerts.format,
        maxProduceBytes: config.pipeline.max_produce_bytes,
        metrics,
      });
      await retroSink.start();
      sink.retro = retroSink;
    }
    pipeline = new Pipeline({
      kafka,
      groupId: config.kafka.group_id,
      routes,
      processor,
      alerts,
      startFrom: config.kafka.start_from,
      exactlyOnce: config.kafka.exactly_once,
      ...(config.kafka.transactional_id !== undefined ? { transactionalId: config.kafka.transactional_id } : {}),
      transactionTimeoutMs: config.kafka.transaction_timeout_ms,
      sessionTimeoutMs: config.kafka.session_timeout_ms,
      heartbeatIntervalMs: config.kafka.heartbeat_interval_ms,
      maxBytesPerPartition: config.kafka.max_bytes_per_partition,
      maxBytes: config.kafka.max_bytes,
      partitionsConcurrently: config.kafka.partitions_concurrently,
      maxProduceBytes: config.pipeline.max_produce_bytes,
      metrics,
      logger,
    });
    logger.info({ ops: ops.url, inputs: [...routes.keys()], index: holder.current.version }, 'iprisk run starting');
    started.pipeline = pipeline;
    await pipeline.start();
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
  return { pipeline, opsUrl: ops.url, stop: closeAll };
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('the stream processor: consume access/auth topics, produce enriched records, alerts and dead letters')
    .option('-c, --config <file>', 'configuration file (default: $IPRISK_CONFIG)')
    .action(async (opts: { config?: string }) => {
      const loaded = loadConfig(opts.config);
      const logger = createLogger();
      const deadline = loaded.config.pipeline.shutdown_deadline_ms;
      const started: { running?: RunningPipeline } = {};
      let stopping = false;
      const shutdown = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        const { running } = started;
        if (running === undefined) {
          // Still starting (the broker may be away for minutes): kafkajs fetches only once the
          // consumer has joined, which is the end of start-up, so nothing is in flight and
          // nothing awaits a commit. Without this a container's SIGTERM waited for the kill.
          logger.info({ signal }, 'stopping during start-up: nothing consumed yet');
          process.exit(0);
        }
        logger.info({ signal, deadline_ms: deadline }, 'stopping: finishing the batch in flight');
        const timer = setTimeout(() => {
          logger.error({ deadline_ms: deadline }, 'shutdown deadline passed; exiting with work uncommitted (it will be redelivered)');
          process.exit(1);
        }, deadline);
        running
          .stop()
          .then(() => {
            clearTimeout(timer);
            logger.info('stopped cleanly');
            process.exit(0);
          })
          .catch((err: unknown) => {
            logger.error({ err }, 'error while stopping');
            process.exit(1);
          });
      };
      process.on('SIGTERM', () => {
        shutdown('SIGTERM');
      });
      process.on('SIGINT', () => {
        shutdown('SIGINT');
      });
      started.running = await startRun(loaded, logger);
    });
}
