/**
 * One throughput round: a fresh consumer process (iprisk or the passthrough) in a fresh group
 * reads the pre-produced input topic from the start; the round's time runs from the moment it
 * has joined and begun fetching until its group has committed the end offset of every
 * partition. The output topic must then hold one record per input record.
 */
import type { Admin } from 'kafkajs';
import { nowMs } from '../lib/measure.js';
import type { Side, StageSeconds } from './protocol.js';
import { isIprisk } from './protocol.js';
import { processCpuMs } from './stack.js';
import { SutProcess } from './sut.js';
import type { RunTopics } from './topics.js';
import { committedAtEnd } from './topics.js';

export interface ThroughputContext {
  admin: Admin;
  topics: RunTopics;
  brokers: string[];
  registryUrl: string;
  snapshot: string;
  input: string;
  ends: ReadonlyMap<number, bigint>;
  events: number;
  partitions: number;
  kafkaPid: number | undefined;
}

export interface ThroughputRound {
  side: Side;
  /** Wall-clock milliseconds from ready to the last commit. */
  wallMs: number;
  /** CPU milliseconds of the consumer process over the same span. */
  cpuMs: number;
  /** CPU milliseconds of the broker JVM over the same span, when it is the local stack's. */
  brokerCpuMs: number | undefined;
  startupMs: number;
  outputRecords: number;
  alertRecords: number;
  stages: StageSeconds | undefined;
}

const POLL_MS = 25;
const ROUND_TIMEOUT_MS = 180_000;

export async function throughputRound(ctx: ThroughputContext, side: Side, round: number): Promise<ThroughputRound> {
  const output = ctx.topics.name(`${side}-out-${round}`);
  const alerts = ctx.topics.name(`${side}-alerts-${round}`);
  const dlq = ctx.topics.name(`${side}-dlq-${round}`);
  const group = ctx.topics.group(`${side}-${round}`);
  await ctx.topics.create([output], ctx.partitions, { avroSubjects: isIprisk(side) });
  if (isIprisk(side)) {
    await ctx.topics.create([alerts], 1, { avroSubjects: true });
    await ctx.topics.create([dlq], 1);
  }
  const { sut, readyAtMs, startupMs } = await SutProcess.start({
    side,
    brokers: ctx.brokers,
    registryUrl: ctx.registryUrl,
    snapshot: ctx.snapshot,
    input: ctx.input,
    output,
    alerts,
    dlq,
    group,
  });
  try {
    const brokerCpu = processCpuMs(ctx.kafkaPid);
    const deadline = nowMs() + ROUND_TIMEOUT_MS;
    while (!(await committedAtEnd(ctx.admin, group, ctx.input, ctx.ends))) {
      if (nowMs() > deadline) throw new Error(`${side} did not commit the end offsets of ${ctx.input} within ${ROUND_TIMEOUT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const doneAtMs = Date.now();
    const brokerCpuEnd = processCpuMs(ctx.kafkaPid);
    const stopped = await sut.stop();
    const outputRecords = await ctx.topics.count(output);
    if (outputRecords < ctx.events) throw new Error(`${side} round ${round}: ${output} holds ${outputRecords} records, the input ${ctx.events}`);
    return {
      side,
      wallMs: doneAtMs - readyAtMs,
      cpuMs: stopped.cpuMs,
      brokerCpuMs: brokerCpu !== undefined && brokerCpuEnd !== undefined ? brokerCpuEnd - brokerCpu : undefined,
      startupMs,
      outputRecords,
      alertRecords: isIprisk(side) ? await ctx.topics.count(alerts) : 0,
      stages: stopped.stages,
    };
  } finally {
    await sut.kill();
  }
}
