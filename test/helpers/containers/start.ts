// The broker and the registry as containers, started through testcontainers.
//
// Host networking throughout: the engines these tests run on may have no bridge at all, and a
// broker must advertise an address its clients can reach, which with host networking is simply
// 127.0.0.1 and a port chosen free here. So no port is exposed or mapped (getMappedPort has
// nothing to map); the ports are chosen on the host and passed in, and readiness is a log line
// in the container plus the same protocol-level checks the JVM stack makes from the host.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GenericContainer, Wait } from 'testcontainers';
import type { StartedTestContainer } from 'testcontainers';
import { ensureImages, imageExists } from './images.js';
import type { BuildTimes, StackImages } from './images.js';
import * as stack from './stack-scripts.js';
import type { Say } from './stack-scripts.js';

const HOST = '127.0.0.1';
/** Every container this starts carries it, valued with the component (`kafka`, `registry`). */
export const COMPONENT_LABEL = 'io.iprisk.test-stack';
/** One value per test run, so a run finds (and a person can remove) exactly its containers. */
export const RUN_LABEL = 'io.iprisk.test-stack.run';
// Two JVMs starting on a shared 2-core machine under load: well under a minute when warm.
const STARTUP_TIMEOUT_MS = 4 * 60_000;
const STOP_TIMEOUT_MS = 20_000;
// Test traffic never reaches the peak the full JIT is for; C1 alone halves start-up CPU
// (measured for the JVM stack, scripts/stack/jvm-flags.js).
const JVM_OPTS = '-XX:TieredStopAtLevel=1';

/**
 * The local images' JVMs keep class archives here between runs (mounted at CDS_MOUNT), one
 * folder per image tag: an archive only fits the runtime and jars it was made from. Official
 * images are left as their makers configured them.
 */
async function cdsFolder(image: string): Promise<string> {
  const { STACK_CACHE } = await stack.paths();
  const dir = path.join(STACK_CACHE, 'cds', 'containers', image.replace(/[^A-Za-z0-9._-]+/g, '_'));
  fs.mkdirSync(dir, { recursive: true });
  // The images run as nobody (65534), whatever user runs the tests.
  fs.chmodSync(dir, 0o777);
  return dir;
}
const CDS_MOUNT = '/var/cache/cds';

export type Component = 'kafka' | 'registry';

export interface StartedContainer {
  component: Component;
  id: string;
  image: string;
  /** Milliseconds from asking testcontainers to start it to its protocol answering. */
  readyMs: number;
}

export interface ContainerStack {
  brokers?: string[];
  registryUrl?: string;
  run: string;
  images: StackImages;
  buildTimes: BuildTimes;
  containers: StartedContainer[];
  stop: () => Promise<void>;
}

/**
 * testcontainers' reaper (Ryuk) is itself an image, pulled on first use and reached through a
 * mapped port: where it is not present locally it cannot run, and this process's teardown stops
 * the containers instead. A choice the user made is kept. On an engine inside a container
 * testcontainers looks for the bridge network's gateway to reach containers; with host
 * networking they are on this host's loopback.
 */
async function prepareTestcontainers(say: Say): Promise<void> {
  if (process.env.TESTCONTAINERS_RYUK_DISABLED === undefined) {
    const reaper = process.env.RYUK_CONTAINER_IMAGE ?? 'testcontainers/ryuk:0.14.0';
    if (!(await imageExists(reaper))) {
      process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
      say(`${reaper} is not present: TESTCONTAINERS_RYUK_DISABLED=true, the run's teardown removes its containers`);
    }
  }
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= HOST;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not answer within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/** Its output, for the error when it never became ready. */
async function tailOfLogs(container: StartedTestContainer | undefined): Promise<string> {
  if (container === undefined) return '';
  try {
    const stream = await container.logs({ tail: 40 });
    let text = '';
    stream.on('data', (chunk: Buffer | string) => (text += chunk.toString()));
    await sleep(500);
    stream.destroy();
    return text.trim();
  } catch {
    return '';
  }
}

/** KRaft combined mode, configured as scripts/stack/kafka.js configures the JVM stack's broker. */
function kafkaEnvironment(port: number, controllerPort: number): Record<string, string> {
  return {
    // Both the local image and the official apache/kafka one read KAFKA_* as server.properties.
    CLUSTER_ID: crypto.randomBytes(16).toString('base64url'),
    KAFKA_PROCESS_ROLES: 'broker,controller',
    KAFKA_NODE_ID: '1',
    KAFKA_CONTROLLER_QUORUM_VOTERS: `1@${HOST}:${controllerPort}`,
    KAFKA_LISTENERS: `PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${HOST}:${port}`,
    KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
    KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    KAFKA_LOG_DIRS: '/tmp/kraft-combined-logs',
    KAFKA_NUM_PARTITIONS: '1',
    // A single broker: every replication factor and min.isr must be 1 or internal topics never form.
    KAFKA_DEFAULT_REPLICATION_FACTOR: '1',
    KAFKA_MIN_INSYNC_REPLICAS: '1',
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
    KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
    KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
    // The first group or transaction in a test then waits for 5 coordinator partitions, not 50.
    KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '5',
    KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS: '5',
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true',
    KAFKA_DELETE_TOPIC_ENABLE: 'true',
    KAFKA_HEAP_OPTS: '-Xmx512m -Xms256m',
    KAFKA_OPTS: JVM_OPTS,
  };
}

/** Quarkus reads its settings from the environment, in the local image and the official one alike. */
function registryEnvironment(port: number, managementPort: number, cdsArchive: string | undefined): Record<string, string> {
  const cds = cdsArchive === undefined ? '' : ` -XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=${cdsArchive}`;
  return {
    QUARKUS_HTTP_HOST: HOST,
    QUARKUS_HTTP_PORT: String(port),
    QUARKUS_MANAGEMENT_HOST: HOST,
    QUARKUS_MANAGEMENT_PORT: String(managementPort),
    // Tests clean up after themselves; Apicurio refuses deletes unless told otherwise.
    APICURIO_REST_DELETION_ARTIFACT_ENABLED: 'true',
    APICURIO_REST_DELETION_ARTIFACT_VERSION_ENABLED: 'true',
    APICURIO_REST_DELETION_GROUP_ENABLED: 'true',
    JAVA_OPTS_APPEND: `-Xmx512m ${JVM_OPTS}${cds}`,
  };
}

async function startOne(
  component: Component,
  image: string,
  environment: Record<string, string>,
  logLine: string | RegExp,
  answers: () => Promise<boolean>,
  run: string,
  cdsDir: string | undefined,
): Promise<{ container: StartedTestContainer; info: StartedContainer }> {
  const started = Date.now();
  let container: StartedTestContainer | undefined;
  try {
    container = await new GenericContainer(image)
      .withNetworkMode('host')
      .withEnvironment(environment)
      .withBindMounts(cdsDir === undefined ? [] : [{ source: cdsDir, target: CDS_MOUNT, mode: 'rw' }])
      .withLabels({ [COMPONENT_LABEL]: component, [RUN_LABEL]: run })
      .withWaitStrategy(Wait.forLogMessage(logLine))
      .withStartupTimeout(STARTUP_TIMEOUT_MS)
      .start();
    await until(`the ${component} container (${image})`, answers, Math.max(STARTUP_TIMEOUT_MS - (Date.now() - started), 10_000));
    return { container, info: { component, id: container.getId(), image, readyMs: Date.now() - started } };
  } catch (error) {
    const logs = await tailOfLogs(container);
    await container?.stop({ timeout: STOP_TIMEOUT_MS }).catch(() => undefined);
    throw new Error(`the ${component} container (${image}) did not become ready: ${(error as Error).message}${logs === '' ? '' : `\n${logs}`}`, { cause: error });
  }
}

/**
 * Starts `components` as containers (building or pulling their images first) and waits until
 * each answers its protocol. Fails loudly: the caller asked for containers.
 */
export async function startContainers(components: readonly Component[], say: Say): Promise<ContainerStack> {
  const needed = { kafka: components.includes('kafka'), registry: components.includes('registry') };
  const { images, buildTimes } = await ensureImages(needed, say);
  await prepareTestcontainers(say);
  const { claimPort } = await stack.ports();
  const { metadataBrokers } = await stack.kafkaMetadata();
  const registryModule = await stack.registry();
  const run = crypto.randomUUID();
  const cds = async (component: Component): Promise<string | undefined> =>
    images[component].origin === 'local' ? cdsFolder(images[component].image) : undefined;
  const kafkaCds = needed.kafka ? await cds('kafka') : undefined;
  const registryCds = needed.registry ? await cds('registry') : undefined;

  const taken: number[] = [];
  const claim = async (variable: string): Promise<number> => {
    const port = await claimPort(variable, 0, taken);
    taken.push(port);
    return port;
  };
  const kafkaPorts = needed.kafka ? { port: await claim('KAFKA_PORT'), controllerPort: await claim('KAFKA_CONTROLLER_PORT') } : undefined;
  const registryPorts = needed.registry ? { port: await claim('REGISTRY_PORT'), managementPort: await claim('REGISTRY_MANAGEMENT_PORT') } : undefined;

  say(`starting ${components.join(' and ')} as containers (${components.map((c) => images[c].image).join(', ')}) ...`);
  const starts = await Promise.allSettled([
    kafkaPorts === undefined
      ? undefined
      : startOne(
          'kafka',
          images.kafka.image,
          { ...kafkaEnvironment(kafkaPorts.port, kafkaPorts.controllerPort), ...(kafkaCds === undefined ? {} : { CDS_ARCHIVE_DIR: CDS_MOUNT }) },
          'Kafka Server started',
          () => metadataBrokers(HOST, kafkaPorts.port, 2_000).then((brokers) => brokers.length > 0, () => false),
          run,
          kafkaCds,
        ),
    registryPorts === undefined
      ? undefined
      : startOne(
          'registry',
          images.registry.image,
          registryEnvironment(registryPorts.port, registryPorts.managementPort, registryCds === undefined ? undefined : `${CDS_MOUNT}/registry.jsa`),
          // Quarkus: "apicurio-registry-app 3.3.3 on JVM (powered by Quarkus ...) started in 4.1s. Listening on: http://..."
          /Listening on: http/,
          () => registryModule.registryAnswers({ ...registryPorts, healthOnMainPort: false }),
          run,
          registryCds,
        ),
  ]);
  const started = starts.flatMap((s) => (s.status === 'fulfilled' && s.value !== undefined ? [s.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(started.map(({ container }) => container.stop({ timeout: STOP_TIMEOUT_MS })));
  };
  const failed = starts.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
  if (failed.length > 0) {
    await stop().catch(() => undefined);
    throw new Error(failed.map((e) => e.message).join('\n\n'), { cause: failed[0] });
  }
  for (const { info } of started) say(`${info.component} container ${info.id.slice(0, 12)} ready in ${(info.readyMs / 1000).toFixed(1)} s`);
  return {
    ...(kafkaPorts === undefined ? {} : { brokers: [`${HOST}:${kafkaPorts.port}`] }),
    ...(registryPorts === undefined ? {} : { registryUrl: registryModule.registryUrl(registryPorts.port) }),
    run,
    images,
    buildTimes,
    containers: started.map(({ info }) => info),
    stop,
  };
}

