import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from '../telemetry/logger.js';
import type { BatchProcessor, InputRoute, ProducePlan } from './batch.js';
import { byTopic, chunkRecords } from './pipeline.js';
import type { InRecord } from './records.js';
import { TokenBucket } from './replay/token-bucket.js';
import type { PartitionRange } from './replay/window.js';
import { windowSize } from './replay/window.js';

export interface ReplayOptions {
  kafka: Kafka;
  /** A group of the replay's own, never the live one: it only carries the group membership. */
  groupId: string;
  ranges: readonly PartitionRange[];
  /** Per input topic; every route's enrichedTopic is the replay's target. */
  routes: ReadonlyMap<string, InputRoute>;
  processor: BatchProcessor;
  /** Events per second; undefined: unlimited. */
  ratePerSec?: number | undefined;
  /** Largest slice of a fetched batch processed at once (keeps a rate limit smooth). */
  maxChunkEvents: number;
  partitionsConcurrently: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxBytesPerPartition: number;
  maxBytes: number;
  maxProduceBytes: number;
  logger: Logger;
  /** Called after each processed slice with the events done and the window's offset count. */
  onProgress?: (done: number, total: number) => void;
}

export interface ReplaySummary {
  /** True when every partition reached the end of the window; false when stopped early. */
  completed: boolean;
  /** Records read from the window (enriched plus dead-lettered). */
  events: number;
  /** Offsets in the window when it started (the progress total). */
  windowOffsets: number;
  byTopic: Record<string, number>;
  /** Enriched records by enrichment source (index, remote, cache, none, private, invalid). */
  bySource: Record<string, number>;
  dlq: number;
  dlqByReason: Record<string, number>;
  alerts: number;
  elapsedMs: number;
}

interface PartitionState {
  readonly range: PartitionRange;
  /** The next offset to process; the window is done here when it reaches `range.end`. */
  next: bigint;
  done: boolean;
}

// Short fetch waits: the last partitions of a window often have nothing more to give, and a
// replay that is done should not sit in a 5 s long poll before it can leave the group.
const MAX_WAIT_MS = 500;

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function inRecord(m: KafkaMessage): InRecord {
  return { offset: m.offset, key: m.key ?? null, value: m.value, headers: m.headers, timestamp: m.timestamp };
}

function add(counts: Record<string, number>, name: string, n: number): void {
  counts[name] = (counts[name] ?? 0) + n;
}

/**
 * Reprocesses a window of offsets per partition through the live pipeline's BatchProcessor
 * (`iprisk replay`).
 *
 * kafkajs has no manual assignment, so the replay subscribes with a group of its own and seeks
 * every partition it is given to where the window (or its own progress, after a rebalance)
 * begins, each time it joins the group. It commits nothing: its progress lives in memory, the
 * group holds no offsets, and the replay deletes the group when it leaves. The live group's
 * offsets are never read or written. Records outside [start, end) are skipped, a
 * partition is paused once it reaches its end, and the replay ends by itself when all have.
 * Outputs are produced with acks=all by an idempotent producer before a slice counts as done.
 */
export class Replay {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly states = new Map<string, PartitionState>();
  private readonly limiter: TokenBucket | undefined;
  private readonly abort = new AbortController();
  private readonly summary: ReplaySummary;
  private remaining: number;
  private settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private stopping = false;

  constructor(private readonly options: ReplayOptions) {
    for (const range of options.ranges) this.states.set(key(range.topic, range.partition), { range, next: range.start, done: false });
    this.remaining = this.states.size;
    this.limiter = options.ratePerSec === undefined ? undefined : new TokenBucket(options.ratePerSec, this.chunkSize());
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxBytesPerPartition: options.maxBytesPerPartition,
      maxBytes: options.maxBytes,
      maxWaitTimeInMs: MAX_WAIT_MS,
      readUncommitted: false,
      allowAutoTopicCreation: false,
    });
    this.producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
    this.summary = {
      completed: false,
      events: 0,
      windowOffsets: windowSize(options.ranges),
      byTopic: {},
      bySource: {},
      dlq: 0,
      dlqByReason: {},
      alerts: 0,
      elapsedMs: 0,
    };
  }

  /** With a rate limit, a slice is about a quarter second's worth, so output flows evenly. */
  private chunkSize(): number {
    const { ratePerSec, maxChunkEvents } = this.options;
    const quarter = ratePerSec === undefined ? maxChunkEvents : Math.ceil(ratePerSec / 4);
    return Math.max(1, Math.min(maxChunkEvents, quarter));
  }

  /** Replays the window; resolves when every partition reached its end or `stop()` was called. */
  async run(): Promise<ReplaySummary> {
    const started = performance.now();
    try {
      if (this.remaining > 0 && !this.stopping) await this.consume();
      this.summary.completed = this.remaining === 0;
    } finally {
      this.summary.elapsedMs = performance.now() - started;
    }
    return this.summary;
  }

  /** Stops fetching; the slice in flight is produced before the consumer leaves the group. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    this.settle?.resolve();
  }

  private async consume(): Promise<void> {
    const { consumer, options } = this;
    const finished = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // Settled before it is awaited (a crash while connecting) must not count as unhandled.
    finished.catch(() => undefined);
    if (this.stopping) this.settle?.resolve();
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.onJoin(e.payload.memberAssignment);
    });
    // Batches of only transaction markers or aborted records never reach eachBatch: kafkajs
    // skips them and reports them here, and a window may end on one.
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      if (e.payload.batchSize === 0) this.advance(e.payload.topic, e.payload.partition, BigInt(e.payload.lastOffset) + 1n);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      options.logger.error({ err: e.payload.error, restart: e.payload.restart }, 'replay consumer crashed');
      if (!e.payload.restart) this.settle?.reject(e.payload.error);
    });
    try {
      await this.producer.connect();
      await consumer.connect();
      const topics = [...new Set(options.ranges.map((r) => r.topic))];
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: options.partitionsConcurrently,
        eachBatch: (payload) => this.handleBatch(payload),
      });
      await finished;
    } finally {
      this.stopping = true;
      this.abort.abort();
      try {
        await consumer.disconnect();
      } finally {
        await this.producer.disconnect();
      }
    }
    await this.forgetGroup();
  }

  /**
   * An empty group lingers in the broker's listings until its periodic cleanup; the replay's
   * group is deleted as it leaves. Only when it holds no committed offsets: a --group that
   * something else committed into is not the replay's to delete.
   */
  private async forgetGroup(): Promise<void> {
    const { kafka, groupId, logger } = this.options;
    const admin = kafka.admin();
    try {
      await admin.connect();
      const offsets = await admin.fetchOffsets({ groupId });
      const holds = offsets.some((t) => t.partitions.some((p) => BigInt(p.offset) >= 0n));
      if (holds) {
        logger.info({ groupId }, 'the replay group holds committed offsets from elsewhere; left in place');
        return;
      }
      await admin.deleteGroups([groupId]);
    } catch (err) {
      logger.warn({ err, groupId }, 'could not delete the replay group; the broker removes it once it expires');
    } finally {
      await admin.disconnect();
    }
  }

  /** Each (re)join: seek every window partition to where it stands, pause the rest. */
  private onJoin(assignment: Record<string, number[]>): void {
    const { consumer, options } = this;
    const assigned = new Set<string>();
    const idle: { topic: string; partitions: number[] }[] = [];
    for (const [topic, partitions] of Object.entries(assignment)) {
      const rest: number[] = [];
      for (const partition of partitions) {
        const state = this.states.get(key(topic, partition));
        assigned.add(key(topic, partition));
        if (state && !state.done) consumer.seek({ topic, partition, offset: state.next.toString() });
        else rest.push(partition);
      }
      if (rest.length > 0) idle.push({ topic, partitions: rest });
    }
    if (idle.length > 0) consumer.pause(idle);
    const missing = [...this.states.values()].filter((s) => !s.done && !assigned.has(key(s.range.topic, s.range.partition)));
    if (missing.length > 0) {
      const names = missing.map((s) => `${s.range.topic}[${s.range.partition}]`).join(', ');
      this.settle?.reject(new Error(`consumer group '${options.groupId}' has other members: this replay was not given ${names}; run each replay in a group of its own`));
      return;
    }
    options.logger.info({ groupId: options.groupId, partitions: this.remaining }, 'replay joined its group and sought to the window');
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const state = this.states.get(key(batch.topic, batch.partition));
    // A fetch already in flight when the partition paused may still deliver.
    if (!state || state.done || this.stopping) return;
    const route = this.options.routes.get(batch.topic);
    if (!route) throw new Error(`no route for topic ${batch.topic}`);
    const records: InRecord[] = [];
    for (const m of batch.messages) {
      const offset = BigInt(m.offset);
      if (offset >= state.next && offset < state.range.end) records.push(inRecord(m));
    }
    const size = this.chunkSize();
    for (let i = 0; i < records.length; i += size) {
      const chunk = records.slice(i, i + size);
      if (this.limiter) {
        try {
          await this.limiter.take(chunk.length, this.abort.signal);
        } catch {
          return; // stopping
        }
      }
      if (!payload.isRunning() || payload.isStale()) return;
      const plan = await this.options.processor.process(route, batch.partition, chunk);
      for (const part of chunkRecords(plan.records, this.options.maxProduceBytes)) {
        await this.producer.sendBatch({ acks: -1, topicMessages: byTopic(part) });
      }
      state.next = BigInt(plan.nextOffset);
      this.count(batch.topic, chunk.length, plan);
      await payload.heartbeat();
      if (this.isStopping()) return;
    }
    // Past the last record read: markers and records beyond the window's end count as reached.
    this.advance(batch.topic, batch.partition, BigInt(batch.lastOffset()) + 1n);
  }

  /** A method, not the field: the field's narrowing would outlive the awaits that change it. */
  private isStopping(): boolean {
    return this.stopping;
  }

  private advance(topic: string, partition: number, next: bigint): void {
    const state = this.states.get(key(topic, partition));
    if (!state || state.done) return;
    if (next > state.next) state.next = next < state.range.end ? next : state.range.end;
    if (state.next < state.range.end) return;
    state.done = true;
    this.remaining -= 1;
    this.consumer.pause([{ topic, partitions: [partition] }]);
    if (this.remaining === 0) this.settle?.resolve();
  }

  private count(topic: string, consumed: number, plan: ProducePlan): void {
    const s = this.summary;
    s.events += consumed;
    add(s.byTopic, topic, consumed);
    for (const [source, n] of plan.enrichedBySource) add(s.bySource, source, n);
    for (const [reason, n] of plan.dlqByReason) {
      s.dlq += n;
      add(s.dlqByReason, reason, n);
    }
    s.alerts += plan.alerts.length;
    this.options.onProgress?.(s.events, s.windowOffsets);
  }
}
