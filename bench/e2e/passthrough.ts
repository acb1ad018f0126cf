/**
 * The baseline of the end-to-end bench: the least any consume-produce-commit stage on kafkajs
 * does. It reads the input topic in a consumer group and re-produces every record unchanged
 * (key, value, headers) to the output topic, with what `iprisk run`'s Pipeline does around the
 * work: the same consumer and producer settings (idempotent, acks=all, 5 requests in flight),
 * batch by batch, produce split by the same byte limit, then commit the batch's next offset.
 * No decoding, enrichment, alerts or encoding.
 */
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { IpriskConfig } from '../../src/config/schema.js';
import { chunkRecords } from '../../src/kafka/pipeline.js';
import type { OutRecord } from '../../src/kafka/records.js';

export class Passthrough {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private joined = false;
  private fetching = false;

  constructor(
    kafka: Kafka,
    private readonly config: Readonly<IpriskConfig>,
    private readonly input: string,
    private readonly output: string,
  ) {
    const k = config.kafka;
    this.consumer = kafka.consumer({
      groupId: k.group_id,
      sessionTimeout: k.session_timeout_ms,
      heartbeatInterval: k.heartbeat_interval_ms,
      maxBytesPerPartition: k.max_bytes_per_partition,
      maxBytes: k.max_bytes,
      readUncommitted: false,
      allowAutoTopicCreation: false,
    });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  }

  /** As Pipeline.ready: joined the group and fetching. */
  get ready(): boolean {
    return this.joined && this.fetching;
  }

  async start(): Promise<void> {
    const { consumer } = this;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
    });
    consumer.on(consumer.events.FETCH_START, () => {
      this.fetching = true;
    });
    await this.producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [this.input], fromBeginning: this.config.kafka.start_from === 'earliest' });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.kafka.partitions_concurrently,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.isEmpty()) return;
    const beat = setInterval(() => {
      payload.heartbeat().catch(() => undefined);
    }, this.config.kafka.heartbeat_interval_ms);
    beat.unref();
    try {
      const records: OutRecord[] = batch.messages.map((m) => ({ topic: this.output, key: m.key ?? null, value: m.value ?? Buffer.alloc(0), headers: m.headers ?? {} }));
      if (payload.isStale()) return;
      for (const chunk of chunkRecords(records, this.config.pipeline.max_produce_bytes)) {
        await this.producer.sendBatch({
          acks: -1,
          topicMessages: [{ topic: this.output, messages: chunk.map((r) => ({ key: r.key, value: r.value, ...(r.headers ? { headers: r.headers } : {}) })) }],
        });
      }
      const next = (BigInt(batch.lastOffset()) + 1n).toString();
      await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      payload.resolveOffset(batch.lastOffset());
    } finally {
      clearInterval(beat);
    }
  }

  async stop(): Promise<void> {
    try {
      await this.consumer.disconnect();
    } finally {
      await this.producer.disconnect();
    }
  }
}
