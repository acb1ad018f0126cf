// Faults for the chaos tests of `iprisk run` (test/integration/kafka/chaos*.test.ts): a broker
// and registry of their own (scripts/stack.js in a separate STACK_DIR, so the shared test stack
// other files use is never paused or restarted), hanging them with SIGSTOP/SIGCONT, restarting
// the broker on its port and data, a steady producer that rides out the faults, and a reader
// that reads a topic to its end offsets and so can count duplicates as well as losses.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import { runStackScript } from './stack-script.js';
import { uniqueName, waitFor } from './kafka.js';
import type { Received } from './kafka.js';

type Component = 'kafka' | 'registry';

/** Alive and not a zombie (the JVMs are detached: their parent is gone and init may not reap them). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export interface ChaosStack {
  brokers: string[];
  registryUrl: string;
  pid(component: Component): number;
  /** SIGSTOP: the process keeps its sockets open and answers nothing, as a hung JVM or a long GC pause does. */
  pause(component: Component): void;
  resume(component: Component): void;
  /**
   * Stops the broker with SIGTERM (a controlled shutdown) and starts it again with the same
   * command line, environment and working folder: the same ports and the same data folder
   * (`stack.js up` would format a fresh one). The new pid goes into the stack's pid file, so
   * `stack.js down` stops it as before.
   */
  restartKafka(): Promise<void>;
  /** How the broker was after the faults, for failure messages. */
  kafkaLogTail(lines?: number): string;
  stop(): Promise<void>;
}

/** A Kafka broker and registry on free ports in a stack folder of their own. */
export async function startChaosStack(): Promise<ChaosStack> {
  const dir = mkdtempSync(path.join(tmpdir(), 'iprisk-chaos-stack-'));
  const env = { STACK_DIR: dir, KAFKA_PORT: '0', KAFKA_CONTROLLER_PORT: '0', REGISTRY_PORT: '0', REGISTRY_MANAGEMENT_PORT: '0' };
  let up: { kafkaBrokers: string | null; registryUrl: string | null };
  try {
    up = JSON.parse((await runStackScript(['up', 'kafka', 'registry', '--json'], { env: { ...process.env, ...env }, timeoutMs: 10 * 60_000 })).trim().split('\n').at(-1) ?? '{}') as typeof up;
  } catch (err) {
    await runStackScript(['down'], { env: { ...process.env, ...env }, timeoutMs: 2 * 60_000 }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  if (up.kafkaBrokers === null || up.registryUrl === null) throw new Error(`the chaos stack reported no endpoints: ${JSON.stringify(up)}`);
  const pidFile = (component: Component): string => path.join(dir, `${component}.pid`);
  const pid = (component: Component): number => {
    const value = Number(readFileSync(pidFile(component), 'utf8').trim());
    if (!Number.isInteger(value) || value <= 0) throw new Error(`no pid in ${pidFile(component)}`);
    return value;
  };
  const paused = new Set<Component>();
  return {
    brokers: [up.kafkaBrokers],
    registryUrl: up.registryUrl,
    pid,
    pause(component) {
      process.kill(pid(component), 'SIGSTOP');
      paused.add(component);
    },
    resume(component) {
      process.kill(pid(component), 'SIGCONT');
      paused.delete(component);
    },
    async restartKafka() {
      const old = pid('kafka');
      const argv = readFileSync(`/proc/${old}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
      const environ: NodeJS.ProcessEnv = {};
      for (const entry of readFileSync(`/proc/${old}/environ`, 'utf8').split('\0')) {
        const eq = entry.indexOf('=');
        if (eq > 0) environ[entry.slice(0, eq)] = entry.slice(eq + 1);
      }
      const cwd = readlinkSync(`/proc/${old}/cwd`);
      const [java, ...args] = argv;
      if (java === undefined) throw new Error(`cannot read the command line of the broker (pid ${old})`);
      process.kill(old, 'SIGTERM');
      await waitFor(`the broker (pid ${old}) to stop`, () => (alive(old) ? undefined : true), { timeoutMs: 60_000, intervalMs: 100 });
      const log = openSync(path.join(dir, 'kafka.log'), 'a');
      try {
        const child = spawn(java, args, { cwd, env: environ, detached: true, stdio: ['ignore', log, log] });
        await new Promise<void>((resolve, reject) => {
          child.once('error', reject);
          child.once('spawn', () => {
            resolve();
          });
        });
        child.unref();
        writeFileSync(pidFile('kafka'), `${child.pid}\n`);
      } finally {
        closeSync(log);
      }
    },
    kafkaLogTail(lines = 30) {
      try {
        return readFileSync(path.join(dir, 'kafka.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(no log)';
      }
    },
    async stop() {
      // A test that failed half-way may leave a component stopped: it must answer SIGTERM.
      for (const component of paused) process.kill(pid(component), 'SIGCONT');
      paused.clear();
      await runStackScript(['down'], { env: { ...process.env, ...env }, timeoutMs: 2 * 60_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Sends `messages` a chunk at a time with a pause between chunks, as a live source does, and
 * retries a chunk until the broker takes it: a fault may fail a send after kafkajs's own
 * retries, and the input must still be complete. A chunk sent twice (an acknowledgement lost
 * in a fault) repeats ids the tests count once, so it cannot hide a loss.
 */
export async function steadyStream(
  producer: Producer,
  topic: string,
  messages: readonly Message[],
  options: { chunk: number; pauseMs: number; onChunk?: (sent: number) => void | Promise<void>; timeoutMs?: number },
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  for (let i = 0; i < messages.length; i += options.chunk) {
    const chunk = messages.slice(i, i + options.chunk);
    for (;;) {
      try {
        await producer.send({ topic, acks: -1, messages: chunk });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`the test producer could not send to ${topic}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    await options.onChunk?.(Math.min(messages.length, i + options.chunk));
    await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
}

/**
 * Every record of `topic` from its beginning to the end offsets it has now: call it once
 * every writer is done. read_committed unless told otherwise. The consumer's position is
 * taken from kafkajs's end-of-batch events, which also come for batches of transaction
 * markers only, so a partition whose last offset is a commit marker is read to its end too.
 */
export async function readToEnd(kafka: Kafka, admin: Admin, topic: string, options: { readUncommitted?: boolean; timeoutMs?: number } = {}): Promise<Received[]> {
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  const records: Received[] = [];
  if ([...ends.values()].every((end) => end === 0n)) return records;
  const next = new Map<number, bigint>();
  const groupId = uniqueName('iprisk-test-drain');
  const consumer = kafka.consumer({ groupId, readUncommitted: options.readUncommitted ?? false, maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    const { partition, lastOffset } = event.payload;
    const after = BigInt(lastOffset) + 1n;
    if (after > (next.get(partition) ?? 0n)) next.set(partition, after);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          const first = Array.isArray(value) ? value[0] : value;
          if (first !== undefined) headers[name] = first.toString();
        }
        records.push({ topic, partition, offset: message.offset, key: message.key, value: message.value, headers });
        return Promise.resolve();
      },
    });
    const behind = (): string =>
      [...ends]
        .map(([p, end]) => `${topic}/${p}: at ${next.get(p) ?? 0n} of ${end}`)
        .join('; ');
    await waitFor(`reading ${topic} to its end offsets`, () => ([...ends].every(([p, end]) => (next.get(p) ?? 0n) >= end) ? true : undefined), {
      timeoutMs: options.timeoutMs ?? 60_000,
      describe: behind,
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return records;
}
