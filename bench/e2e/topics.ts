/**
 * Topics, groups and subjects of one bench run: fresh names, created with a fixed partition
 * count (the broker's default is 1), remembered, and deleted at the end.
 */
import { randomUUID } from 'node:crypto';
import type { Admin } from 'kafkajs';

export class RunTopics {
  private readonly topics = new Set<string>();
  private readonly groups = new Set<string>();
  private readonly subjects = new Set<string>();
  readonly runId = randomUUID().slice(0, 8);

  constructor(
    private readonly admin: Admin,
    private readonly registryUrl: string,
  ) {}

  name(role: string): string {
    return `bench-e2e-${this.runId}-${role}`;
  }

  group(role: string): string {
    const group = this.name(`group-${role}`);
    this.groups.add(group);
    return group;
  }

  /**
   * Creates topics of `partitions` partitions. `appendTime` topics stamp each record with the
   * broker's append time, which a consumer then reads as the record timestamp: the moment an
   * output record reached the broker, whatever the producer put there.
   */
  async create(names: readonly string[], partitions: number, options: { appendTime?: boolean; avroSubjects?: boolean } = {}): Promise<void> {
    for (const topic of names) {
      this.topics.add(topic);
      if (options.avroSubjects) this.subjects.add(`${topic}-value`);
    }
    const configEntries = options.appendTime ? [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] : [];
    await this.admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions: partitions, configEntries })), waitForLeaders: true });
  }

  /** Sum over partitions of the end offsets: the records a fresh topic holds. */
  async count(topic: string): Promise<number> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  }

  /** Best effort: a broker or registry that refuses leaves them to the next stack:down. */
  async deleteAll(): Promise<void> {
    if (this.groups.size > 0) await this.admin.deleteGroups([...this.groups]).catch(() => undefined);
    if (this.topics.size > 0) await this.admin.deleteTopics({ topics: [...this.topics], timeout: 20_000 }).catch(() => undefined);
    for (const subject of this.subjects) {
      // Soft delete, then the permanent one the Confluent API asks for.
      const url = `${this.registryUrl}/subjects/${encodeURIComponent(subject)}`;
      for (const target of [url, `${url}?permanent=true`]) {
        await fetch(target, { method: 'DELETE' })
          .then((r) => r.arrayBuffer())
          .catch(() => undefined);
      }
    }
  }
}

/** End offset of every partition of `topic`, by partition. */
export async function endOffsets(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((p) => [p.partition, BigInt(p.high)]));
}

/** True once `group` has committed every partition of `topic` up to `ends`. */
export async function committedAtEnd(admin: Admin, group: string, topic: string, ends: ReadonlyMap<number, bigint>): Promise<boolean> {
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  if (!committed) return false;
  for (const [partition, end] of ends) {
    const offset = committed.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
    if (BigInt(offset) < end) return false;
  }
  return true;
}
