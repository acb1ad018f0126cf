/** What a Kafka bench run leaves behind until its end, and how to remove it (also on Ctrl-C). */
import { rmSync } from 'node:fs';
import type { Admin, Producer } from 'kafkajs';
import type { BenchStack } from './stack.js';
import { releaseBenchStack } from './stack.js';
import type { RunTopics } from './topics.js';

export interface Leftovers {
  stack?: BenchStack | undefined;
  clients?: { admin: Admin; producer: Producer } | undefined;
  topics?: RunTopics | undefined;
  tmp?: string | undefined;
}

export interface RunCleanup {
  /** Filled in by the run as it creates things. */
  readonly leftovers: Leftovers;
  /** Removes what is there, once: topics, clients, the temporary folder, the stack it started. */
  readonly cleanUp: () => Promise<void>;
  /** Installs SIGINT and SIGTERM handlers that clean up and exit 130. */
  readonly cleanUpOnInterrupt: () => void;
}

export function runCleanup(log: (line: string) => void): RunCleanup {
  const leftovers: Leftovers = {};
  async function cleanUp(): Promise<void> {
    const { stack, clients, topics, tmp } = leftovers;
    leftovers.topics = undefined;
    leftovers.clients = undefined;
    leftovers.stack = undefined;
    leftovers.tmp = undefined;
    if (topics) {
      log('deleting the run topics, groups and subjects');
      await topics.deleteAll();
    }
    await clients?.producer.disconnect().catch(() => undefined);
    await clients?.admin.disconnect().catch(() => undefined);
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
    if (stack && stack.started.length > 0) {
      log(`stopping what this run started: ${stack.started.join(', ')}`);
      await releaseBenchStack(stack, log);
    }
  }
  function onInterrupt(signal: NodeJS.Signals): void {
    log(`${signal}: cleaning up (the consumer processes end with this one)`);
    cleanUp()
      .catch((err: unknown) => {
        log(`clean-up failed: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => process.exit(130));
  }
  return {
    leftovers,
    cleanUp,
    cleanUpOnInterrupt: () => {
      process.once('SIGINT', onInterrupt);
      process.once('SIGTERM', onInterrupt);
    },
  };
}
