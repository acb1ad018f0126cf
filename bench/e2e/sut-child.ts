/**
 * One consumer under test in a process of its own: `iprisk run` (startRun, in-process) or the
 * kafkajs passthrough. The bench process holds the generated events and its own clients; a
 * separate process keeps their heap and event loop out of the measured one, and gives a CPU
 * time that is the consumer's alone.
 *
 *   forked by sut.ts with one argument, the SutArgs as JSON, and an IPC channel
 */
import type { RunningPipeline } from '../../src/cli/run.js';
import { startRun } from '../../src/cli/run.js';
import type { LoadedConfig } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/load.js';
import { createKafka } from '../../src/kafka/client.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { cpuMs } from '../lib/measure.js';
import { Passthrough } from './passthrough.js';
import type { ChildMessage, ParentMessage, StageSeconds, SutArgs } from './protocol.js';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error('sut-child.js runs as a forked process with an IPC channel'));
      return;
    }
    process.send(message, undefined, {}, (err: Error | null) => {
      if (err) reject(err);
      else resolve();
    });
  });
}

/** The `iprisk run` configuration the bench runs: every default but the cluster, the topics and the index. */
function loadedConfig(args: SutArgs): LoadedConfig {
  const config = parseConfig(
    {
      kafka: { brokers: args.brokers, client_id: `bench-e2e-${args.side}`, group_id: args.group, start_from: 'earliest', exactly_once: args.side === 'iprisk-eos' },
      schema_registry: { url: args.registryUrl },
      index: { path: args.snapshot, watch: false },
      inputs: [{ topic: args.input, kind: 'access', format: 'json' }],
      outputs: { enriched: { topic: args.output, format: 'avro' }, alerts: { topic: args.alerts, format: 'avro' }, dlq: { topic: args.dlq } },
      http: { port: 0 },
    },
    'bench e2e',
  );
  return { config, file: undefined, baseDir: process.cwd() };
}

interface Sut {
  ready(): boolean;
  stages(): Promise<StageSeconds | undefined>;
  stop(): Promise<void>;
}

function sumOf(text: string, name: string, label?: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    if (label !== undefined && !rest.includes(label)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function startIprisk(loaded: LoadedConfig): Promise<Sut> {
  const running: RunningPipeline = await startRun(loaded, createLogger({ level: process.env.IPRISK_LOG_LEVEL ?? 'warn', name: 'iprisk-bench' }));
  return {
    ready: () => running.pipeline.ready,
    async stages() {
      const text = await (await fetch(`${running.opsUrl}/metrics`)).text();
      const stage = (s: string): number => sumOf(text, 'iprisk_batch_stage_duration_seconds_sum', `stage="${s}"`);
      return {
        decode: stage('decode'),
        enrich: stage('enrich'),
        encode: stage('encode'),
        produceCommit: stage('produce_commit'),
        batches: sumOf(text, 'iprisk_batch_events_count'),
        events: sumOf(text, 'iprisk_events_consumed_total'),
        alerts: sumOf(text, 'iprisk_alerts_emitted_total'),
        dlq: sumOf(text, 'iprisk_dlq_records_total'),
      };
    },
    stop: () => running.stop(),
  };
}

async function startPassthrough(loaded: LoadedConfig, args: SutArgs): Promise<Sut> {
  const logger = createLogger({ level: process.env.IPRISK_LOG_LEVEL ?? 'warn', name: 'passthrough-bench' });
  const passthrough = new Passthrough(createKafka(loaded.config.kafka, loaded.baseDir, logger), loaded.config, args.input, args.output);
  await passthrough.start();
  return { ready: () => passthrough.ready, stages: () => Promise.resolve(undefined), stop: () => passthrough.stop() };
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: sut-child.js <SutArgs as JSON> (forked by bench/e2e/sut.ts)');
  const args = JSON.parse(raw) as SutArgs;
  const began = Date.now();
  // The bench process gone (killed, crashed): nobody will ask this one to stop, so it ends itself.
  let finished = false;
  process.on('disconnect', () => {
    if (!finished) process.exit(2);
  });
  const stopRequested = new Promise<void>((resolve) => {
    process.on('message', (message: ParentMessage | undefined) => {
      if (message?.type === 'stop') resolve();
    });
  });
  const loaded = loadedConfig(args);
  const sut = args.side === 'passthrough' ? await startPassthrough(loaded, args) : await startIprisk(loaded);
  // Joined and fetching: from here on the time is the consumer's work, not its start-up.
  while (!sut.ready()) await new Promise((resolve) => setTimeout(resolve, 2));
  const cpuAtReady = cpuMs();
  const atMs = Date.now();
  await send({ type: 'ready', atMs, startupMs: atMs - began });
  await stopRequested;
  const used = cpuMs() - cpuAtReady;
  const stages = await sut.stages();
  await sut.stop();
  await send({ type: 'stopped', cpuMs: used, stages });
  finished = true;
  process.disconnect();
}

main().catch(async (err: unknown) => {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  await send({ type: 'failed', message }).catch(() => undefined);
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
