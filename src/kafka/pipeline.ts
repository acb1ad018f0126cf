import { hostname } from 'node:os';
import type { Consumer, EachBatchPayload, Kafka, Producer, TopicMessages } from 'kafkajs';
import type { AlertEngine } from '../alerts/engine.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { BatchProcessor, InputRoute, ProducePlan } from './batch.js';
import type { InRecord, OutRecord } from './records.js';
import { StartPositions } from './start-positions.js';

export interface PipelineOptions {
  kafka: Kafka;
  groupId: string;
  routes: ReadonlyMap<string, InputRoute>;
  processor: BatchProcessor;
  alerts: AlertEngine;
  startFrom: 'latest' | 'earliest';
  exactlyOnce: boolean;
  transactionalId?: string;
  transactionTimeoutMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxBytesPerPartition: number;
  maxBytes: number;
  partitionsConcurrently: number;
  maxProduceBytes: number;
  metrics: Metrics;
  logger: Logger;
}

export type PipelineState = 'starting' | 'joining' | 'pinning' | 'ready' | 'rebalancing' | 'stopping' | 'stopped' | 'crashed';

function approximateBytes(r: OutRecord): number {
  return r.value.length + (r.key?.length ?? 0) + 64;
}

/** Splits a plan into produce requests under the byte limit, keeping record order. */
export function chunkRecords(records: readonly OutRecord[], maxBytes: number): OutRecord[][] {
  const chunks: OutRecord[][] = [];
  let current: OutRecord[] = [];
  let size = 0;
  for (const r of records) {
    const bytes = approximateBytes(r);
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(r);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Commit refusals that mean this member must rejoin the group: its session ended or a rebalance began. */
const REJOIN_TYPES = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS']);

/**
 * The broker's refusal inside a failed commit, when it asks the member to rejoin. kafkajs wraps
 * it in a KafkaJSNonRetriableError; thrown from eachBatch like that, it crashes the consumer
 * for good (restart: false) and the process stays up consuming nothing, as after a broker that
 * hung longer than the session timeout. Thrown bare, kafkajs's fetch loop recognises it and
 * rejoins; the batch is read again from the last committed offset.
 */
export function membershipError(err: unknown): Error | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && REJOIN_TYPES.has(type)) return e;
  }
  return undefined;
}

/** Records grouped per topic for one produce request, in order within each topic. */
export function byTopic(records: readonly OutRecord[]): TopicMessages[] {
  const topics = new Map<string, TopicMessages>();
  for (const r of records) {
    let entry = topics.get(r.topic);
    if (!entry) {
      entry = { topic: r.topic, messages: [] };
      topics.set(r.topic, entry);
    }
    // An OutRecord is a kafkajs message as it is (its topic is not read): no copy of each.
    entry.messages.push(r);
  }
  return [...topics.values()];
}

/**
 * The stream processor (SPEC section 10): a consumer group reading the input topics batch by
 * batch; each batch's outputs (enriched, alerts, DLQ) are produced with acks=all by an
 * idempotent producer and its offset committed only after every one was acknowledged — or,
 * with exactly_once, produced in a transaction that also carries the offsets. A batch waiting
 * on a slow remote or a slow broker keeps heartbeating and holds its partition: that wait is the
 * backpressure; nothing is dropped and memory stays bounded by the fetch sizes.
 */
export class Pipeline {
  state: PipelineState = 'starting';
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly suppressedSeen = new Map<string, number>();
  /** topic\u0000partition of every consumer-lag series exported, so a revoked one can be removed. */
  private readonly lagSeries = new Set<string>();
  private readonly startPositions: StartPositions;
  /** Joins seen; the join whose start positions are pinned; the join after which a fetch began. */
  private joins = 0;
  private pinnedJoin = 0;
  private fetchingJoin = 0;

  constructor(private readonly options: PipelineOptions) {
    const { kafka } = options;
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxBytesPerPartition: options.maxBytesPerPartition,
      maxBytes: options.maxBytes,
      // Also how long kafkajs idles when every partition it holds is paused (as they are while
      // their start is pinned): its 5 s default held the first batch back that long after ready.
      // 500 ms is the Java client's fetch.max.wait.ms default.
      maxWaitTimeInMs: 500,
      readUncommitted: false,
      allowAutoTopicCreation: false,
    });
    this.producer = options.exactlyOnce
      ? kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          transactionalId: options.transactionalId ?? `${options.groupId}-${hostname()}-${process.pid}`,
          transactionTimeout: options.transactionTimeoutMs,
        })
      : kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
    this.startPositions = new StartPositions({
      kafka,
      consumer: this.consumer,
      groupId: options.groupId,
      topics: [...options.routes.keys()],
      startFrom: options.startFrom,
      // Long enough for a live leader to pin; a dead one is out of the group by then anyway.
      leaderWaitMs: options.sessionTimeoutMs,
      logger: options.logger,
    });
  }

  /**
   * /readyz: joined the group, the start of every partition it holds is committed (so a restart
   * resumes there, never at a later `latest`) and fetching has begun from those offsets.
   */
  get ready(): boolean {
    return this.state === 'ready';
  }

  private maybeReady(): void {
    if (this.state === 'pinning' && this.pinnedJoin === this.joins && this.fetchingJoin === this.joins) this.state = 'ready';
  }

  async start(): Promise<void> {
    const { consumer, options } = this;
    const { events } = consumer;
    consumer.on(events.GROUP_JOIN, (e) => {
      const { memberAssignment, groupId, isLeader } = e.payload;
      const join = ++this.joins;
      if (this.state !== 'stopping' && this.state !== 'stopped') this.state = 'pinning';
      options.logger.info({ assignment: memberAssignment, groupId, isLeader }, 'joined the consumer group');
      this.dropLagOfRevoked(memberAssignment);
      // Synchronous up to the pause: kafkajs fetches only after this listener returns.
      this.startPositions.join(memberAssignment, isLeader).then(
        (pinned) => {
          if (!pinned || join !== this.joins) return;
          this.pinnedJoin = join;
          this.maybeReady();
        },
        (err: unknown) => {
          options.logger.error({ err }, 'pinning start positions failed');
        },
      );
    });
    consumer.on(events.FETCH_START, () => {
      this.fetchingJoin = this.joins;
      this.maybeReady();
    });
    consumer.on(events.REBALANCING, () => {
      if (this.state !== 'stopping') this.state = 'rebalancing';
    });
    consumer.on(events.CRASH, (e) => {
      options.logger.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
      if (!e.payload.restart) this.state = 'crashed';
    });
    await this.producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [...options.routes.keys()], fromBeginning: options.startFrom === 'earliest' });
    this.state = 'joining';
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // One transactional producer runs one transaction at a time.
      partitionsConsumedConcurrently: options.exactlyOnce ? 1 : options.partitionsConcurrently,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.isEmpty()) return;
    const route = this.options.routes.get(batch.topic);
    if (!route) throw new Error(`no route for topic ${batch.topic}`);
    const { metrics } = this.options;
    // kafkajs's messages are InRecords as they come: no copy of each.
    const records: readonly InRecord[] = batch.messages;
    const beat = setInterval(() => {
      payload.heartbeat().catch(() => undefined);
    }, this.options.heartbeatIntervalMs);
    beat.unref();
    let plan: ProducePlan;
    try {
      plan = await this.options.processor.process(route, batch.partition, records);
      // A revoked partition (rebalance, seek) is another member's now: its outputs would be
      // duplicates. Stopping is no reason to drop the batch: SIGTERM finishes and commits it.
      if (payload.isStale()) return;
      const produceStart = performance.now();
      if (this.options.exactlyOnce) await this.produceInTransaction(plan, batch.topic, batch.partition);
      else await this.produceThenCommit(plan, batch.topic, batch.partition, payload);
      metrics.batchStageSeconds.observe({ stage: 'produce_commit' }, (performance.now() - produceStart) / 1000);
      payload.resolveOffset(batch.lastOffset());
    } finally {
      clearInterval(beat);
    }
    this.record(batch.topic, batch.partition, batch.highWatermark, records.length, plan);
  }

  private async produceThenCommit(plan: ProducePlan, topic: string, partition: number, payload: EachBatchPayload): Promise<void> {
    for (const chunk of chunkRecords(plan.records, this.options.maxProduceBytes)) {
      await this.producer.sendBatch({ acks: -1, topicMessages: byTopic(chunk) });
    }
    // consumer.commitOffsets() retries transient errors, but once the consumer is stopping
    // (SIGTERM) kafkajs skips it without a word. The batch's own commit still reaches the
    // coordinator then: the group is left only after this batch returns. Committing one
    // offset twice is harmless, so a stop that lands mid-commit is covered too.
    try {
      if (payload.isRunning()) await this.consumer.commitOffsets([{ topic, partition, offset: plan.nextOffset }]);
      if (!payload.isRunning()) await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: plan.nextOffset }] }] });
    } catch (err) {
      throw membershipError(err) ?? err;
    }
  }

  private async produceInTransaction(plan: ProducePlan, topic: string, partition: number): Promise<void> {
    const tx = await this.producer.transaction();
    try {
      for (const chunk of chunkRecords(plan.records, this.options.maxProduceBytes)) {
        await tx.sendBatch({ acks: -1, topicMessages: byTopic(chunk) });
      }
      await tx.sendOffsets({
        consumerGroupId: this.options.groupId,
        topics: [{ topic, partitions: [{ partition, offset: plan.nextOffset }] }],
      });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw membershipError(err) ?? err;
    }
  }

  /** Telemetry once per batch, never per record in a tight loop of its own. */
  private record(topic: string, partition: number, highWatermark: string, consumed: number, plan: ProducePlan): void {
    const { metrics } = this.options;
    const now = Date.now();
    metrics.eventsConsumed.inc({ topic }, consumed);
    for (const [source, n] of plan.enrichedBySource) metrics.eventsEnriched.inc({ source }, n);
    const hits = plan.enrichedBySource.get('index') ?? 0;
    const misses = (plan.enrichedBySource.get('none') ?? 0) + (plan.enrichedBySource.get('remote') ?? 0) + (plan.enrichedBySource.get('cache') ?? 0);
    if (hits > 0) metrics.indexLookups.inc({ result: 'hit' }, hits);
    if (misses > 0) metrics.indexLookups.inc({ result: 'miss' }, misses);
    for (const [reason, n] of plan.dlqByReason) metrics.dlq.inc({ reason }, n);
    for (const a of plan.alerts) metrics.alertsEmitted.inc({ rule: a.rule, severity: a.severity });
    for (const c of this.options.alerts.counters()) {
      const delta = c.suppressed - (this.suppressedSeen.get(c.rule) ?? 0);
      if (delta > 0) metrics.alertsSuppressed.inc({ rule: c.rule }, delta);
      this.suppressedSeen.set(c.rule, c.suppressed);
    }
    metrics.batchSize.observe(consumed);
    metrics.batchUniqueIps.observe(plan.uniqueIps);
    for (const [stage, secs] of Object.entries(plan.stages)) metrics.batchStageSeconds.observe({ stage }, secs);
    for (const t of plan.eventTimesMs) if (t > 0) metrics.endToEndSeconds.observe(Math.max(0, now - t) / 1000);
    const lag = BigInt(highWatermark) - BigInt(plan.nextOffset);
    metrics.consumerLag.set({ topic, partition: String(partition) }, Number(lag < 0n ? 0n : lag));
    this.lagSeries.add(`${topic}\u0000${partition}`);
  }

  /**
   * A partition that moved to another member keeps no lag series here: its last value would
   * otherwise stay exported for ever, and a sum over the fleet would count it twice.
   */
  private dropLagOfRevoked(assignment: Record<string, number[]>): void {
    const held = new Set(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}\u0000${p}`)));
    for (const series of this.lagSeries) {
      if (held.has(series)) continue;
      const [topic = '', partition = ''] = series.split('\u0000');
      this.options.metrics.consumerLag.remove({ topic, partition });
      this.lagSeries.delete(series);
    }
  }

  /** Stops fetching, lets the batch in flight finish and commit, then disconnects. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopping';
    this.startPositions.close();
    try {
      await this.consumer.disconnect();
    } finally {
      await this.producer.disconnect();
      this.state = 'stopped';
    }
  }
}
