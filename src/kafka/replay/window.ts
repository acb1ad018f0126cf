import type { Admin, Kafka } from 'kafkajs';

/** One partition's share of a replay window: the records at offsets [start, end). */
export interface PartitionRange {
  topic: string;
  partition: number;
  start: bigint;
  /** Exclusive: the first offset at or after the window's end, fixed when the replay starts. */
  end: bigint;
}

/**
 * The offsets of a time window [fromMs, toMs) in each partition of `topics`, from the broker's
 * time index (ListOffsets by timestamp): `start` is the first offset whose timestamp is at or
 * after `fromMs`, `end` the first at or after `toMs`; where no record is that late the broker
 * answers with the high watermark, so a window reaching into the future ends at what exists
 * now and a replay always finishes. The window is a range of offsets, as
 * `kafka-consumer-groups --reset-offsets --to-datetime` reads it: a record produced with an
 * out-of-order timestamp inside that range is replayed too. Partitions with no record in the
 * window are left out.
 */
export async function windowRanges(admin: Admin, topics: readonly string[], fromMs: number, toMs: number): Promise<PartitionRange[]> {
  const ranges: PartitionRange[] = [];
  for (const topic of topics) {
    const [starts, ends] = await Promise.all([admin.fetchTopicOffsetsByTimestamp(topic, fromMs), admin.fetchTopicOffsetsByTimestamp(topic, toMs)]);
    const endOf = new Map(ends.map((e) => [e.partition, BigInt(e.offset)]));
    for (const { partition, offset } of [...starts].sort((a, b) => a.partition - b.partition)) {
      const start = BigInt(offset);
      const end = endOf.get(partition);
      if (end !== undefined && start < end) ranges.push({ topic, partition, start, end });
    }
  }
  return ranges;
}

/** Offsets in the window: an upper bound of its events (transaction markers and compacted-away
 * records hold offsets too), which is what a progress display needs. */
export function windowSize(ranges: readonly PartitionRange[]): number {
  return Number(ranges.reduce((n, r) => n + (r.end - r.start), 0n));
}

/** The window's ranges, or the topics that do not exist (nothing is read then). */
export async function findWindow(kafka: Kafka, topics: readonly string[], fromMs: number, toMs: number): Promise<{ missing: string[]; ranges: PartitionRange[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    return { missing, ranges: missing.length > 0 ? [] : await windowRanges(admin, topics, fromMs, toMs) };
  } finally {
    await admin.disconnect();
  }
}
