/**
 * The input side of the end-to-end bench: the generated access events (the same seeded mix as
 * the file-mode figure), produced all at once before a consumer starts, or at a fixed rate
 * with each record's send time in a header.
 */
import { readFileSync } from 'node:fs';
import type { Message, Producer } from 'kafkajs';
import type { SnapshotData } from '../../src/range-index/types.js';
import { writeAccessLog } from '../lib/events.js';
import { Prng } from '../lib/prng.js';

/** Header carrying the epoch milliseconds at which the load generator sent the record. */
export const SENT_HEADER = 'bench-sent-ms';

export interface EventPool {
  values: Buffer[];
  /** request_id of each event: distinct keys spread the records over the partitions. */
  keys: Buffer[];
  bytes: number;
}

/** `count` JSON access events as record values, generated as `npm run bench` generates its file-mode input. */
export async function generateEvents(file: string, count: number, index: SnapshotData): Promise<EventPool> {
  // The seed of the file-mode figure: both benches read the same events.
  const bytes = await writeAccessLog(file, count, index, new Prng(0x5eed_e7e7));
  const values: Buffer[] = [];
  const keys: Buffer[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    values.push(Buffer.from(line));
    const id = /"request_id":"([0-9a-f]+)"/.exec(line)?.[1];
    if (id === undefined) throw new Error(`generated event without a request_id: ${line}`);
    keys.push(Buffer.from(id));
  }
  if (values.length !== count) throw new Error(`generated ${values.length} events, wanted ${count}`);
  return { values, keys, bytes };
}

const PRE_PRODUCE_CHUNK = 1000;
const PRE_PRODUCE_IN_FLIGHT = 4;

/** Produces every event of the pool to `topic` (acks=all) and resolves once all are acknowledged. */
export async function preProduce(producer: Producer, topic: string, pool: EventPool): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pool.values.length) {
      const from = next;
      next = Math.min(pool.values.length, next + PRE_PRODUCE_CHUNK);
      const messages: Message[] = [];
      for (let i = from; i < next; i++) messages.push({ key: pool.keys[i]!, value: pool.values[i]! });
      await producer.send({ topic, acks: -1, messages });
    }
  };
  await Promise.all(Array.from({ length: PRE_PRODUCE_IN_FLIGHT }, worker));
}

const TICK_MS = 5;

/**
 * Produces `ratePerSec` events a second for `secs` seconds, a few every TICK_MS as a live
 * source does, each stamped with its send time. Sends are not awaited one by one, so a slow
 * acknowledgement does not slow the rate. Resolves with the count sent once all are acknowledged.
 */
export async function producePaced(producer: Producer, topic: string, pool: EventPool, ratePerSec: number, secs: number): Promise<number> {
  const total = Math.round(ratePerSec * secs);
  const began = performance.now();
  const pending: Promise<unknown>[] = [];
  let failure: Error | undefined;
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - began) / 1000) * ratePerSec));
    if (due > sent) {
      const stamp = String(Date.now());
      const messages: Message[] = [];
      for (let i = sent; i < due; i++) {
        const k = i % pool.values.length;
        messages.push({ key: pool.keys[k]!, value: pool.values[k]!, headers: { [SENT_HEADER]: stamp } });
      }
      pending.push(
        producer.send({ topic, acks: -1, messages }).catch((err: unknown) => {
          failure ??= err instanceof Error ? err : new Error(`producing to ${topic} failed: ${JSON.stringify(err)}`);
        }),
      );
      sent = due;
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(pending);
  if (failure !== undefined) throw failure;
  return sent;
}
