// The Kafka broker and schema registry that integration tests run against, and the vitest
// globalSetup that provides them (test/integration/kafka/** only; see vitest.config.ts).
//
// Order of preference (docs/testing.md):
//   1. KAFKA_BROKERS / SCHEMA_REGISTRY_URL from the environment: used as given, nothing started.
//   2. TEST_STACK=containers (or auto where a Docker engine answers and no Java is
//      installed): containers started through testcontainers (test/helpers/containers/).
//   3. TEST_STACK=jvm (or auto otherwise): the local JVM stack of scripts/stack.js, on
//      free ports; a stack already running in this checkout (`npm run stack:up`) is reused and
//      left running.
import type { TestProject } from 'vitest/node';
import { chooseStack } from './containers/choice.js';
import { startContainers } from './containers/start.js';
import type { ImageOrigin } from './containers/images.js';
import { runStackScript } from './stack-script.js';
import { ensurePythonVenv } from './python-venv.js';

/** Where a component of the stack came from. */
export type StackSource = 'environment' | 'containers' | 'jvm';

export interface StackContainer {
  component: 'kafka' | 'registry';
  id: string;
  image: string;
  origin: ImageOrigin;
}

export interface StackEndpoints {
  /** `host:port` strings, as kafkajs takes them. */
  brokers: string[];
  /** The Confluent-compatible base URL, e.g. `http://127.0.0.1:8081/apis/ccompat/v7`. */
  registryUrl: string;
  /** True when this call started at least one of the two (and so must stop it). */
  startedHere: boolean;
  served: { kafka: StackSource; registry: StackSource };
  /** Why the path was taken, e.g. `TEST_STACK=containers`. */
  reason: string;
  /** The containers this run started (none unless `served` says `containers`). */
  containers: StackContainer[];
  /** The value of the run label (`io.iprisk.test-stack.run`) on those containers. */
  containerRun: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** In a test: `const { brokers, registryUrl } = inject('stack');` */
    stack: StackEndpoints;
  }
}

type Component = 'kafka' | 'registry';

// A cold machine downloads about 200 MB from Maven Central before anything starts.
const UP_TIMEOUT_MS = 15 * 60_000;
const DOWN_TIMEOUT_MS = 2 * 60_000;

/** What this process started, so teardown stops exactly that and nothing a user started. */
const startedByThisProcess = new Set<Component>();
let stopContainers: (() => Promise<void>) | undefined;

function fromEnvironment(): { brokers?: string[]; registryUrl?: string } {
  const brokers = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter((b) => b !== '');
  const registryUrl = process.env.SCHEMA_REGISTRY_URL?.trim().replace(/\/+$/, '');
  return {
    ...(brokers !== undefined && brokers.length > 0 ? { brokers } : {}),
    ...(registryUrl !== undefined && registryUrl !== '' ? { registryUrl } : {}),
  };
}

function say(message: string): void {
  process.stderr.write(`test stack: ${message}\n`);
}

function runStack(args: readonly string[], timeoutMs: number): Promise<string> {
  return runStackScript(args, {
    // Free ports unless the caller chose some: a test run must not collide with a stack that
    // another checkout (or another person on this machine) runs on the default ports.
    env: { ...process.env, KAFKA_PORT: process.env.KAFKA_PORT ?? '0', REGISTRY_PORT: process.env.REGISTRY_PORT ?? '0' },
    timeoutMs,
    echoStderr: true,
  });
}

interface UpResult {
  started: Component[];
  kafkaBrokers: string | null;
  registryUrl: string | null;
}

function parseUp(stdout: string): UpResult {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as UpResult;
}

/**
 * Endpoints of a running Kafka and schema registry, starting (and installing on first use)
 * whatever the environment does not already provide.
 */
export async function ensureStack(): Promise<StackEndpoints> {
  const given = fromEnvironment();
  const missing: Component[] = [];
  if (given.brokers === undefined) missing.push('kafka');
  if (given.registryUrl === undefined) missing.push('registry');
  const source = (component: Component, otherwise: StackSource): StackSource => (missing.includes(component) ? otherwise : 'environment');
  if (given.brokers !== undefined && given.registryUrl !== undefined) {
    const reason = 'KAFKA_BROKERS and SCHEMA_REGISTRY_URL are set';
    return { brokers: given.brokers, registryUrl: given.registryUrl, startedHere: false, served: { kafka: 'environment', registry: 'environment' }, reason, containers: [], containerRun: null };
  }
  const choice = await chooseStack();
  say(`${choice.path} (${choice.reason})`);
  if (choice.path === 'containers') {
    const started = await startContainers(missing, say);
    stopContainers = started.stop;
    const brokers = given.brokers ?? started.brokers;
    const registryUrl = given.registryUrl ?? started.registryUrl;
    if (brokers === undefined || registryUrl === undefined) throw new Error('the container stack reported no endpoints for what it was asked to start');
    return {
      brokers,
      registryUrl,
      startedHere: true,
      served: { kafka: source('kafka', 'containers'), registry: source('registry', 'containers') },
      reason: choice.reason,
      containers: started.containers.map(({ component, id, image }) => ({ component, id, image, origin: started.images[component].origin })),
      containerRun: started.run,
    };
  }
  const up = parseUp(await runStack(['up', ...missing, '--json'], UP_TIMEOUT_MS));
  for (const component of up.started) startedByThisProcess.add(component);
  const brokers = given.brokers ?? (up.kafkaBrokers === null ? undefined : [up.kafkaBrokers]);
  const registryUrl = given.registryUrl ?? up.registryUrl ?? undefined;
  if (brokers === undefined || registryUrl === undefined) {
    throw new Error(`scripts/stack.js up reported no ${brokers === undefined ? 'Kafka brokers' : 'registry URL'}: ${JSON.stringify(up)}`);
  }
  return {
    brokers,
    registryUrl,
    startedHere: up.started.length > 0,
    served: { kafka: source('kafka', 'jvm'), registry: source('registry', 'jvm') },
    reason: choice.reason,
    containers: [],
    containerRun: null,
  };
}

/** Stops what `ensureStack` started in this process; a stack found running is left alone. */
export async function releaseStack(): Promise<void> {
  const stop = stopContainers;
  stopContainers = undefined;
  if (stop !== undefined) await stop();
  if (startedByThisProcess.size === 0) return;
  const components = [...startedByThisProcess];
  startedByThisProcess.clear();
  await runStack(['down', ...components], DOWN_TIMEOUT_MS);
}

/** vitest globalSetup: start once per test run, provide the endpoints, stop only what started here. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The interop tests' Python venv installs from PyPI while the JVMs start (about 40 s saved on a
  // cold machine). A failure here is left for the tests that need Python to report.
  const [stack] = await Promise.all([ensureStack(), ensurePythonVenv().catch(() => undefined)]);
  project.provide('stack', stack);
  return releaseStack;
}
