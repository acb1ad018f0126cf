/**
 * End-to-end latency at a fixed rate: a consumer process (iprisk or the passthrough) runs on an
 * empty input topic; events are produced at `ratePerSec`, each with its send time in a header;
 * a reader here consumes the output topic, which stamps records with the broker's append time.
 * Latency = output append time - send time, for each record sent after the warm-up.
 */
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { EventPool } from './load.js';
import { SENT_HEADER, producePaced } from './load.js';
import type { Side } from './protocol.js';
import { isIprisk } from './protocol.js';
import { SutProcess } from './sut.js';
import type { RunTopics } from './topics.js';

export interface LatencyContext {
  kafka: Kafka;
  producer: Producer;
  topics: RunTopics;
  brokers: string[];
  registryUrl: string;
  snapshot: string;
  pool: EventPool;
  partitions: number;
  ratePerSec: number;
  warmupSecs: number;
  measureSecs: number;
}

export interface LatencyFigures {
  side: Side;
  sent: number;
  /** Records sent after the warm-up, whose latencies count. */
  measured: number;
  /** Milliseconds, send to broker append of the output record. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Milliseconds, send to receipt by the reader (adds the reader's own fetch). */
  receiptP50: number;
  receiptP99: number;
  /** Events per second actually produced (the generator shares the machine too). */
  achievedRate: number;
}

const DRAIN_TIMEOUT_MS = 60_000;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

class OutputReader {
  readonly sent: number[] = [];
  readonly appended: number[] = [];
  readonly received: number[] = [];
  private fetching = false;

  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka, topic: string, group: string): Promise<OutputReader> {
    const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    const reader = new OutputReader(consumer);
    consumer.on(consumer.events.FETCH_START, () => {
      reader.fetching = true;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          const stamp = m.headers?.[SENT_HEADER];
          const text = Array.isArray(stamp) ? stamp[0] : stamp;
          if (text === undefined) continue;
          reader.sent.push(Number(text.toString()));
          reader.appended.push(Number(m.timestamp));
          reader.received.push(now);
        }
        return Promise.resolve();
      },
    });
    await waitUntil('the latency reader to start fetching', () => reader.fetching, 30_000);
    return reader;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}

async function waitUntil(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function measureLatency(ctx: LatencyContext, side: Side): Promise<LatencyFigures> {
  const input = ctx.topics.name(`${side}-lat-in`);
  const output = ctx.topics.name(`${side}-lat-out`);
  const alerts = ctx.topics.name(`${side}-lat-alerts`);
  const dlq = ctx.topics.name(`${side}-lat-dlq`);
  await ctx.topics.create([input], ctx.partitions);
  await ctx.topics.create([output], ctx.partitions, { appendTime: true, avroSubjects: isIprisk(side) });
  if (isIprisk(side)) {
    await ctx.topics.create([alerts], 1, { avroSubjects: true });
    await ctx.topics.create([dlq], 1);
  }
  const reader = await OutputReader.start(ctx.kafka, output, ctx.topics.group(`${side}-lat-reader`));
  let sut: SutProcess | undefined;
  try {
    sut = (
      await SutProcess.start({
        side,
        brokers: ctx.brokers,
        registryUrl: ctx.registryUrl,
        snapshot: ctx.snapshot,
        input,
        output,
        alerts,
        dlq,
        group: ctx.topics.group(`${side}-lat`),
      })
    ).sut;
    const began = Date.now();
    const secs = ctx.warmupSecs + ctx.measureSecs;
    const sent = await producePaced(ctx.producer, input, ctx.pool, ctx.ratePerSec, secs);
    const producedMs = Date.now() - began;
    await waitUntil(`${sent} ${side} output records`, () => reader.sent.length >= sent, DRAIN_TIMEOUT_MS);
    await sut.stop();
    const from = began + ctx.warmupSecs * 1000;
    const latencies: number[] = [];
    const receipts: number[] = [];
    for (let i = 0; i < reader.sent.length; i++) {
      const s = reader.sent[i]!;
      if (s < from) continue;
      latencies.push(reader.appended[i]! - s);
      receipts.push(reader.received[i]! - s);
    }
    const lat = Float64Array.from(latencies).sort();
    const rec = Float64Array.from(receipts).sort();
    return {
      side,
      sent,
      measured: lat.length,
      p50: percentile(lat, 50),
      p90: percentile(lat, 90),
      p99: percentile(lat, 99),
      max: lat.length > 0 ? lat[lat.length - 1]! : Number.NaN,
      receiptP50: percentile(rec, 50),
      receiptP99: percentile(rec, 99),
      achievedRate: sent / (producedMs / 1000),
    };
  } finally {
    await sut?.kill();
    await reader.stop();
  }
}
