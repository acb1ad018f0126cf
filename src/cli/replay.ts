import type { Command } from 'commander';
import { AlertEngine } from '../alerts/engine.js';
import type { LoadedConfig } from '../config/load.js';
import { loadConfig, resolvePath } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { Progress } from '../file-mode/progress.js';
import { createKafka } from '../kafka/client.js';
import { registryFromConfig } from '../kafka/registry.js';
import { batchProcessor, inputRoutes } from '../kafka/routes.js';
import type { ReplaySummary } from '../kafka/replay.js';
import { Replay } from '../kafka/replay.js';
import type { ReplayArgs, ReplayRequest } from '../kafka/replay/request.js';
import { parseReplayRequest } from '../kafka/replay/request.js';
import { formatSummary } from '../kafka/replay/summary.js';
import { findWindow, windowSize } from '../kafka/replay/window.js';
import { ensureTopics } from '../kafka/topics.js';
import { IndexHolder } from '../range-index/reload.js';
import { createRemote } from '../remote/create.js';
import type { Logger } from '../telemetry/logger.js';
import { createLogger } from '../telemetry/logger.js';
import type { SnapshotHistory } from '../history/snapshot-history.js';
import type { HistoryArgs } from './history-options.js';
import { HISTORY_CACHE_HELP, HISTORY_HELP, historyCacheOption, openHistoryArg } from './history-options.js';
import { sampleIndex, servedView } from './open-index.js';

export interface ReplayHooks {
  /** Events done and the window's size, after every processed slice. */
  onProgress?: (done: number, total: number) => void;
  /** Receives the stop function once the replay is set up (signal handlers). */
  onStart?: (stop: () => void) => void;
}

async function openHolder(loaded: LoadedConfig, logger: Logger): Promise<IndexHolder> {
  const { path } = loaded.config.index;
  if (path === undefined) {
    logger.warn('index.path is not set: replaying against the bundled sample index, which is for trying iprisk out only');
    return new IndexHolder(servedView(loaded.config)(await sampleIndex()));
  }
  // No reload watch: a replay is short, and one index for the whole window keeps it consistent.
  return IndexHolder.open(resolvePath(loaded, path), servedView(loaded.config));
}

/**
 * The composition root of `iprisk replay`: the live pipeline's stages (index, remote chain,
 * enricher per input, BatchProcessor) with every enriched record sent to the target topic,
 * alerts only when asked for, and a consumer group of its own over the window's offsets.
 */
export async function runReplay(
  loaded: LoadedConfig,
  request: ReplayRequest,
  logger: Logger,
  hooks: ReplayHooks = {},
  history?: SnapshotHistory,
): Promise<ReplaySummary> {
  const { config, baseDir } = loaded;
  const kafka = createKafka(config.kafka, baseDir, logger);
  const { missing, ranges } = await findWindow(kafka, request.topics, request.fromMs, request.toMs);
  if (missing.length > 0) {
    const entry = (topic: string): number => config.inputs.findIndex((i) => i.topic === topic);
    throw new ConfigError(
      loaded.file ?? 'configuration',
      missing.map((t) => `inputs.${entry(t)}.topic: '${t}' does not exist on the cluster, so there is nothing to replay`),
    );
  }
  const lookups = history ?? (await openHolder(loaded, logger));
  // A remote provider knows only the present: an as-of replay answers misses with none.
  if (history !== undefined && config.remote.providers.length > 0) logger.info('--history: the remote providers are not asked; index misses are answered none');
  const fallback = history === undefined ? createRemote(config.remote, { logger, baseDir, weights: config.score }) : undefined;
  try {
    const registry = registryFromConfig(config.schema_registry, baseDir);
    // Alert ids hash the source offset and rule, so --alerts repeats the live run's ids.
    if (request.alerts && !config.alerts.enabled) logger.warn('--alerts: alerts.enabled is false in the configuration, so no alert is produced');
    const alerts = new AlertEngine({ ...config.alerts, enabled: request.alerts && config.alerts.enabled }, { clock: Date.now });
    const routes = inputRoutes(config, lookups, fallback, { topics: request.topics, enrichedTopic: request.toTopic });
    const processor = batchProcessor(config, registry, alerts);

    await ensureTopics(kafka, [request.toTopic, config.outputs.dlq.topic, ...(request.alerts ? [config.outputs.alerts.topic] : [])], logger);
    logger.info(
      {
        from: new Date(request.fromMs).toISOString(),
        to: new Date(request.toMs).toISOString(),
        toTopic: request.toTopic,
        groupId: request.groupId,
        partitions: ranges.map((r) => ({ topic: r.topic, partition: r.partition, start: r.start.toString(), end: r.end.toString() })),
        offsets: windowSize(ranges),
        ...(history === undefined ? {} : { history: history.dir, snapshots: history.entries.length }),
      },
      'replay window found',
    );
    const replay = new Replay({
      kafka,
      groupId: request.groupId,
      ranges,
      routes,
      processor,
      ratePerSec: request.ratePerSec,
      maxChunkEvents: config.enrich.batch_size,
      partitionsConcurrently: config.kafka.partitions_concurrently,
      sessionTimeoutMs: config.kafka.session_timeout_ms,
      heartbeatIntervalMs: config.kafka.heartbeat_interval_ms,
      maxBytesPerPartition: config.kafka.max_bytes_per_partition,
      maxBytes: config.kafka.max_bytes,
      maxProduceBytes: config.pipeline.max_produce_bytes,
      logger,
      ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    });
    hooks.onStart?.(() => {
      replay.stop();
    });
    return await replay.run();
  } finally {
    if (lookups instanceof IndexHolder) lookups.close();
    await fallback?.close();
  }
}

/** Exit status of a replay a signal cut short: 128 + the signal number, as shells report it. */
const SIGNAL_STATUS: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      'reprocess a time window [--from, --to) of the input topics into --to-topic, through a consumer group of its own; ' +
        "the live group's offsets are never touched and the replay group commits none",
    )
    .requiredOption('--from <time>', 'start of the window, inclusive: ISO 8601 date, or date-time with Z or an offset')
    .requiredOption('--to <time>', 'end of the window, exclusive (a time in the future ends at what exists now)')
    .requiredOption('--to-topic <topic>', 'topic the enriched records go to')
    .option('--topics <list>', 'comma-separated input topics to replay, each a configured input (default: every input)')
    .option('--rate <events>', 'at most this many events per second (default: unlimited)')
    .option('--group <id>', 'consumer group of the replay (default: <kafka.group_id>-replay-<start time>)')
    .option('--alerts', 'also produce alerts to the configured alerts topic (ids are stable: the live run\'s ids repeat)')
    .option('--history <dir>', `${HISTORY_HELP}; a record whose event has no time of its own is placed by the record's timestamp`)
    .option('--history-cache <n>', HISTORY_CACHE_HELP, historyCacheOption)
    .option('-c, --config <file>', 'configuration file (default: $IPRISK_CONFIG)')
    .action(async (opts: ReplayArgs & HistoryArgs & { config?: string }) => {
      const loaded = loadConfig(opts.config);
      const request = parseReplayRequest(opts, loaded.config);
      const history = await openHistoryArg(opts, servedView(loaded.config));
      const logger = createLogger();
      const progress = new Progress();
      let stoppedBy: string | undefined;
      let stop: (() => void) | undefined;
      const onSignal = (signal: string): void => {
        if (stoppedBy !== undefined) return;
        stoppedBy = signal;
        const deadline = loaded.config.pipeline.shutdown_deadline_ms;
        logger.info({ signal, deadline_ms: deadline }, 'stopping the replay: finishing the slice in flight');
        setTimeout(() => {
          logger.error({ deadline_ms: deadline }, 'shutdown deadline passed; exiting before the replay consumer left its group');
          process.exit(1);
        }, deadline).unref();
        stop?.();
      };
      process.on('SIGINT', () => {
        onSignal('SIGINT');
      });
      process.on('SIGTERM', () => {
        onSignal('SIGTERM');
      });
      const hooks: ReplayHooks = {
        onProgress: (done, total) => {
          progress.update(done, done, total, `of at most ${total.toLocaleString('en-US')} in the window`);
        },
        onStart: (fn) => {
          stop = fn;
          if (stoppedBy !== undefined) fn();
        },
      };
      const summary = await runReplay(loaded, request, logger, hooks, history);
      progress.done();
      process.stderr.write(
        formatSummary(summary, {
          fromMs: request.fromMs,
          toMs: request.toMs,
          toTopic: request.toTopic,
          groupId: request.groupId,
          alerts: request.alerts,
          alertsTopic: loaded.config.outputs.alerts.topic,
          dlqTopic: loaded.config.outputs.dlq.topic,
          stoppedBy,
        }),
      );
      // kafkajs leaves timers behind after disconnect; the work is done and reported.
      process.exit(summary.completed ? 0 : (SIGNAL_STATUS[stoppedBy ?? ''] ?? 1));
    });
}
