import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../telemetry/logger.js';

export type StartFrom = 'latest' | 'earliest';

export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** One input topic as the group sees it: each partition's committed offset (if any) and its watermarks. */
export interface TopicPositions {
  topic: string;
  partitions: { partition: number; committed: string | undefined; low: string; high: string }[];
}

/** A committed offset, or undefined for kafkajs's "none" (-1, or empty). */
export function committedOffset(offset: string | undefined): string | undefined {
  if (offset === undefined || offset === '') return undefined;
  return BigInt(offset) < 0n ? undefined : offset;
}

/**
 * The start to commit for each partition that has no committed offset. A topic of which no
 * partition has one is new to the group: it starts where `start_from` says, every partition
 * alike. A partition missing from a topic the group has started on was added after that
 * start: whatever was produced to it since came while the group was running, so it starts
 * at its beginning. `only` limits the answer to some partitions (the topic is still judged whole).
 */
export function startsToPin(
  topics: readonly TopicPositions[],
  startFrom: StartFrom,
  only: (topic: string, partition: number) => boolean = () => true,
): PartitionOffset[] {
  const starts: PartitionOffset[] = [];
  for (const { topic, partitions } of topics) {
    const started = partitions.some((p) => p.committed !== undefined);
    for (const p of partitions) {
      if (p.committed !== undefined || !only(topic, p.partition)) continue;
      starts.push({ topic, partition: p.partition, offset: started || startFrom === 'earliest' ? p.low : p.high });
    }
  }
  return starts;
}

export interface StartPositionOptions {
  kafka: Kafka;
  consumer: Consumer;
  groupId: string;
  topics: readonly string[];
  startFrom: StartFrom;
  /** How long a member waits for the group leader to pin its partitions before it pins them itself. */
  leaderWaitMs: number;
  logger: Logger;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function byTopic(parts: readonly { topic: string; partition: number }[]): { topic: string; partitions: number[] }[] {
  const topics = new Map<string, number[]>();
  for (const { topic, partition } of parts) {
    const list = topics.get(topic) ?? [];
    list.push(partition);
    topics.set(topic, list);
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }));
}

/**
 * Pins where the group starts reading (SPEC section 12): a partition with no committed offset is
 * never read from a start resolved in memory only. kafkajs resolves `latest` anew on every
 * join, so an instance killed before its first commit came back at a later `latest` and skipped
 * what was produced in between. Instead, on each join the members pause the partitions they
 * hold that are not known to be committed; the group leader resolves the start of every
 * uncommitted partition of the input topics once and commits it in one request (one writer per
 * generation, so members starting together agree); each member then reads its partitions'
 * committed offsets back, seeks there and resumes. Only then is the assignment pinned and the
 * member ready. A member whose leader does not pin (an older version, or it died) pins its own
 * partitions after `leaderWaitMs`, by the same rule.
 */
export class StartPositions {
  /** Partitions known to have a committed offset: commits are never taken back, so joins skip them. */
  private readonly pinned = new Set<string>();
  /** Partitions this class paused and has not resumed yet. */
  private readonly paused = new Map<string, { topic: string; partition: number }>();
  private generation = 0;
  private closed = false;

  constructor(private readonly options: StartPositionOptions) {}

  /**
   * Called from the consumer's GROUP_JOIN event, before its first fetch of the generation: the
   * pause happens before this returns. Resolves true once the assignment is pinned and fetching
   * resumes from the committed offsets; false when a newer join or close() superseded it.
   */
  join(assignment: Readonly<Record<string, readonly number[]>>, isLeader: boolean): Promise<boolean> {
    const generation = ++this.generation;
    const assigned = Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
    const open = assigned.filter((p) => !this.pinned.has(key(p.topic, p.partition)));
    const openKeys = new Set(open.map((p) => key(p.topic, p.partition)));
    // Paused by an earlier join that never finished: no longer waiting on this one.
    const stale = [...this.paused].filter(([k]) => !openKeys.has(k));
    for (const [k] of stale) this.paused.delete(k);
    if (stale.length > 0) this.options.consumer.resume(byTopic(stale.map(([, p]) => p)));
    if (open.length > 0) {
      this.options.consumer.pause(byTopic(open));
      for (const p of open) this.paused.set(key(p.topic, p.partition), p);
    }
    // The leader pins for the whole group, even when it holds nothing itself.
    if (open.length === 0 && !isLeader) return Promise.resolve(true);
    return this.pin(generation, open, isLeader);
  }

  /** Stops waiting (shutdown): pending joins resolve false. */
  close(): void {
    this.closed = true;
    this.generation++;
  }

  private superseded(generation: number): boolean {
    return this.closed || generation !== this.generation;
  }

  private async pin(generation: number, open: readonly { topic: string; partition: number }[], isLeader: boolean): Promise<boolean> {
    const { kafka, consumer, logger, leaderWaitMs } = this.options;
    const since = Date.now();
    // A new admin per join: its metadata is fresh, so partitions added to a topic are listed.
    const admin = kafka.admin();
    let connected = false;
    try {
      for (let attempt = 0; ; attempt++) {
        if (this.superseded(generation)) return false;
        try {
          if (!connected) {
            await admin.connect();
            connected = true;
          }
          const mine = new Set(open.map((p) => key(p.topic, p.partition)));
          const selfPinning = !isLeader && Date.now() - since >= leaderWaitMs;
          if (isLeader || selfPinning) {
            const positions = await this.positions(admin);
            const starts = startsToPin(positions, this.options.startFrom, isLeader ? undefined : (t, p) => mine.has(key(t, p)));
            if (starts.length > 0) {
              if (this.superseded(generation)) return false;
              await consumer.commitOffsets(starts);
              logger.info({ starts, startFrom: this.options.startFrom, by: isLeader ? 'leader' : 'member' }, 'pinned the start of partitions with no committed offset');
            }
          }
          const committed = await this.committed(admin);
          const starts = open.map((p) => ({ ...p, offset: committed.get(key(p.topic, p.partition)) }));
          const missing = starts.filter((p) => p.offset === undefined).map(({ topic, partition }) => ({ topic, partition }));
          if (missing.length === 0) {
            if (this.superseded(generation)) return false;
            // kafkajs may have resolved these partitions itself while they were paused; the
            // fetch position must be the pinned offset, not its own.
            for (const { topic, partition, offset } of starts) if (offset !== undefined) consumer.seek({ topic, partition, offset });
            for (const p of open) {
              this.pinned.add(key(p.topic, p.partition));
              this.paused.delete(key(p.topic, p.partition));
            }
            if (open.length > 0) consumer.resume(byTopic(open));
            return true;
          }
          if (attempt % 20 === 19) logger.info({ missing, waited_ms: Date.now() - since }, 'waiting for the start of assigned partitions to be committed');
        } catch (err) {
          logger.warn({ err, attempt }, 'could not pin start positions yet; retrying');
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** Math.min(attempt, 3), 2000)));
      }
    } finally {
      if (connected) await admin.disconnect().catch(() => undefined);
    }
  }

  /** Committed offsets of the group for every partition of the input topics. */
  private async committed(admin: Admin): Promise<Map<string, string | undefined>> {
    const offsets = await admin.fetchOffsets({ groupId: this.options.groupId, topics: [...this.options.topics] });
    const out = new Map<string, string | undefined>();
    for (const { topic, partitions } of offsets) for (const p of partitions) out.set(key(topic, p.partition), committedOffset(p.offset));
    return out;
  }

  private async positions(admin: Admin): Promise<TopicPositions[]> {
    const committed = await this.committed(admin);
    const topics: TopicPositions[] = [];
    for (const topic of this.options.topics) {
      const marks = await admin.fetchTopicOffsets(topic);
      topics.push({
        topic,
        partitions: marks.map((m) => ({ partition: m.partition, committed: committed.get(key(topic, m.partition)), low: m.low, high: m.high })),
      });
    }
    return topics;
  }
}
