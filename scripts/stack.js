#!/usr/bin/env node
// The local Kafka + schema registry for integration tests and users (SPEC sections 11 and 12).
//
//   node scripts/stack.js up [kafka|registry ...] [--json]   start (or find running) and print the env lines
//   node scripts/stack.js down [kafka|registry ...]          stop what `up` started in this checkout
//   node scripts/stack.js status                             exit 0 when everything answers
//
// Ports: KAFKA_PORT (9092), REGISTRY_PORT (8081), KAFKA_CONTROLLER_PORT and
// REGISTRY_MANAGEMENT_PORT (any free one); 0 means any free port. KAFKA_JAVA_HOME /
// REGISTRY_JAVA_HOME pick the JDKs; STACK_START_TIMEOUT_SECS bounds the wait (180);
// STACK_JVM_OPTS adds JVM flags to both (see stack/jvm-flags.js).
//
// KAFKA_SECURE=1 also opens secured listeners: server-verified TLS (KAFKA_TLS_PORT, 9093),
// mutual TLS (KAFKA_MTLS_PORT, 9094) and SASL over TLS with PLAIN and SCRAM-SHA-256/512
// (KAFKA_SASL_PORT, 9095). The CA, the client certificate and the users' passwords are written
// to .stack/secure/ (setup.json lists them). STACK_DIR runs an independent stack.
import console from 'node:console';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './stack/errors.js';
import { ensureKafka, ensureRegistry } from './stack/install.js';
import { findJdks, pickKafkaJava, pickRegistryJava } from './stack/java.js';
import { kafkaAnswers, kafkaBrokers, kafkaMetadataAnswers, startKafka } from './stack/kafka.js';
import { stackFile } from './stack/paths.js';
import { claimPort, portSetting } from './stack/ports.js';
import { isAlive, isOurs, stopProcess, tailOf } from './stack/processes.js';
import { registryAnswers, registryUrl, startRegistry } from './stack/registry.js';
import { makeSecureSetup } from './stack/secure.js';
import { pidOf, readState, withLock, writeEnv, writePid, writeState } from './stack/state.js';

/** @typedef {'kafka' | 'registry'} Component */
/** @typedef {import('./stack/state.js').StackState} StackState */

const COMPONENTS = /** @type {const} */ (['kafka', 'registry']);
const NAMES = { kafka: 'Kafka', registry: 'the schema registry' };
const STOP_DEADLINE_MS = { kafka: 30_000, registry: 15_000 };

/** @param {string} message */
function say(message) {
  process.stderr.write(`stack: ${message}\n`);
}

function startTimeoutMs() {
  const raw = process.env.STACK_START_TIMEOUT_SECS;
  if (raw === undefined || raw === '') return 180_000;
  const secs = Number(raw);
  if (!Number.isFinite(secs) || secs <= 0) throw new StackError(`STACK_START_TIMEOUT_SECS=${JSON.stringify(raw)} is not a positive number of seconds`);
  return secs * 1000;
}

/** @param {Component} component @param {StackState} state */
async function answers(component, state) {
  if (component === 'kafka') return state.kafka ? kafkaMetadataAnswers(state.kafka.port) : false;
  return state.registry ? registryAnswers(state.registry) : false;
}

/** @param {StackState} state @param {Component} component */
function forget(state, component) {
  if (component === 'kafka') state.kafka = undefined;
  else state.registry = undefined;
}

/** @param {StackState} state @returns {string[]} */
function envLines(state) {
  const lines = [];
  if (state.kafka) lines.push(`KAFKA_BROKERS=${kafkaBrokers(state.kafka.port)}`);
  if (state.registry) lines.push(`SCHEMA_REGISTRY_URL=${registryUrl(state.registry.port)}`);
  return lines;
}

/**
 * Polls until `ready()`; fails early, with the log's last lines, when the process dies.
 * @param {Component} component @param {number} pid @param {() => Promise<boolean>} ready @param {number} timeoutMs
 */
async function waitReady(component, pid, ready, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await ready()) return;
    if (!isAlive(pid)) {
      throw new StackError(`${NAMES[component]} exited while starting; the end of ${stackFile.log(component)}:\n${tailOf(stackFile.log(component), 30)}`);
    }
    await sleep(250);
  }
  throw new StackError(
    `${NAMES[component]} did not answer within ${timeoutMs / 1000} s (STACK_START_TIMEOUT_SECS); the end of ${stackFile.log(component)}:\n${tailOf(stackFile.log(component), 30)}`,
  );
}

/**
 * Keeps a component that this checkout started and that answers; clears one that is gone.
 * @param {Component} component @param {StackState} state @returns {Promise<boolean>} whether it is reusable
 */
async function reusable(component, state) {
  const pid = pidOf(component);
  const known = state[component];
  if (pid !== null && known && isOurs(pid)) {
    // A start interrupted a moment ago may still be coming up: give it a short while.
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      if (await answers(component, state)) {
        const setting = portSetting(component === 'kafka' ? 'KAFKA_PORT' : 'REGISTRY_PORT', 0);
        if (setting.explicit && setting.port !== 0 && setting.port !== known.port) {
          throw new StackError(
            `${NAMES[component]} is already running on port ${known.port} (pid ${pid}), not ${setting.port}; run \`npm run stack:down\` first to change ports`,
          );
        }
        say(`${NAMES[component]} is already running (pid ${pid}, port ${known.port})`);
        return true;
      }
      if (!isAlive(pid)) break;
      await sleep(250);
    }
    say(`${NAMES[component]} (pid ${pid}) does not answer: restarting it`);
    await stopProcess(pid, STOP_DEADLINE_MS[component]);
  }
  writePid(component, null);
  forget(state, component);
  return false;
}

/** @param {Component[]} components @param {boolean} json */
async function up(components, json) {
  const began = Date.now();
  const timeoutMs = startTimeoutMs();
  const kafkaPort = portSetting('KAFKA_PORT', 9092);
  const controllerPort = portSetting('KAFKA_CONTROLLER_PORT', 0);
  const registryPort = portSetting('REGISTRY_PORT', 8081);
  const managementPort = portSetting('REGISTRY_MANAGEMENT_PORT', 0);
  const secure = process.env.KAFKA_SECURE === '1' || process.env.KAFKA_SECURE === 'true';
  const { state, started } = await withLock(async () => {
    const current = readState();
    /** @type {Component[]} */
    const toStart = [];
    for (const component of components) if (!(await reusable(component, current))) toStart.push(component);
    if (secure && current.kafka && !current.kafka.secure && !toStart.includes('kafka')) {
      throw new StackError('Kafka is already running without its secured listeners; run `npm run stack:down` first, then `KAFKA_SECURE=1 npm run stack:up`');
    }
    writeState(current);
    /** @type {{ component: Component; pid: number; ready: () => Promise<boolean> }[]} */
    const launched = [];
    try {
      if (toStart.length > 0) {
        const jdks = findJdks();
        const kafkaJava = toStart.includes('kafka') ? pickKafkaJava(jdks) : null;
        const registryJava = toStart.includes('registry') ? pickRegistryJava(jdks) : null;
        // Ports first: a taken port fails in a second, not after a long first-use download.
        const taken = [current.kafka?.port, current.kafka?.controllerPort, current.registry?.port, current.registry?.managementPort].filter(
          (p) => p !== undefined,
        );
        /** @param {string} variable @param {number} port */
        const claim = async (variable, port) => {
          const claimed = await claimPort(variable, port, taken);
          taken.push(claimed);
          return claimed;
        };
        const kafkaPorts = kafkaJava && { port: await claim('KAFKA_PORT', kafkaPort.port), controllerPort: await claim('KAFKA_CONTROLLER_PORT', controllerPort.port) };
        const securePorts = kafkaJava && secure && {
          tlsPort: await claim('KAFKA_TLS_PORT', portSetting('KAFKA_TLS_PORT', 9093).port),
          mtlsPort: await claim('KAFKA_MTLS_PORT', portSetting('KAFKA_MTLS_PORT', 9094).port),
          saslPort: await claim('KAFKA_SASL_PORT', portSetting('KAFKA_SASL_PORT', 9095).port),
        };
        const registryPorts = registryJava && { port: await claim('REGISTRY_PORT', registryPort.port), managementPort: await claim('REGISTRY_MANAGEMENT_PORT', managementPort.port) };
        // Maven runs one download at a time (two would share its local repository); Kafka
        // formats and boots while the registry downloads or starts.
        const kafkaLibs = kafkaJava ? await ensureKafka(say) : null;
        const startingKafka = (async () => {
          if (!kafkaJava || !kafkaPorts || kafkaLibs === null) return;
          const { port } = kafkaPorts;
          const secureSetup = securePorts ? await makeSecureSetup(stackFile.secure, securePorts) : undefined;
          say(`starting Kafka on 127.0.0.1:${port}${securePorts ? ` (TLS ${securePorts.tlsPort}, mutual TLS ${securePorts.mtlsPort}, SASL_SSL ${securePorts.saslPort})` : ''} with Java ${kafkaJava.version} ...`);
          const pid = await startKafka({ jdk: kafkaJava, libs: kafkaLibs, ...kafkaPorts, ...(secureSetup ? { secure: secureSetup } : {}) });
          writePid('kafka', pid);
          current.kafka = { ...kafkaPorts, java: kafkaJava.java, ...(securePorts ? { secure: { ...securePorts, setup: path.join(stackFile.secure, 'setup.json') } } : {}) };
          writeState(current);
          launched.push({ component: 'kafka', pid, ready: () => kafkaAnswers(port) });
        })();
        const startingRegistry = (async () => {
          if (!registryJava || !registryPorts) return;
          const dist = await ensureRegistry(registryJava.major, say);
          const { port } = registryPorts;
          say(`starting Apicurio Registry ${dist.version} on 127.0.0.1:${port} with Java ${registryJava.version} ...`);
          // The Java 17 build serves health on its main port and ignores the management port.
          const registry = { ...registryPorts, healthOnMainPort: dist.healthOnMainPort, version: dist.version, java: registryJava.java };
          const pid = await startRegistry({ jdk: registryJava, jar: dist.jar, version: dist.version, ...registryPorts });
          writePid('registry', pid);
          current.registry = registry;
          writeState(current);
          launched.push({ component: 'registry', pid, ready: () => registryAnswers(registry) });
        })();
        const outcomes = await Promise.allSettled([startingKafka, startingRegistry]);
        for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
        await Promise.all(launched.map(({ component, pid, ready }) => waitReady(component, pid, ready, timeoutMs)));
      }
    } catch (error) {
      // Leave nothing half-started behind a failed `up`.
      await Promise.all(launched.map(({ pid }) => stopProcess(pid, 5_000)));
      for (const { component } of launched) {
        writePid(component, null);
        forget(current, component);
      }
      writeState(current);
      writeEnv(envLines(current));
      throw error;
    }
    writeEnv(envLines(current));
    return { state: current, started: launched.map((l) => l.component) };
  }, say);
  const lines = envLines(state);
  if (started.length > 0) say(`up in ${((Date.now() - began) / 1000).toFixed(1)} s; ${stackFile.env} says:`);
  if (json) {
    const out = {
      started,
      kafkaBrokers: state.kafka ? kafkaBrokers(state.kafka.port) : null,
      registryUrl: state.registry ? registryUrl(state.registry.port) : null,
      kafkaSecure: state.kafka?.secure?.setup ?? null,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

/** @param {Component[]} components */
async function down(components) {
  await withLock(async () => {
    const state = readState();
    await Promise.all(
      components.map(async (component) => {
        const pid = pidOf(component);
        if (pid !== null && isOurs(pid)) {
          const how = await stopProcess(pid, STOP_DEADLINE_MS[component]);
          say(how === 'killed' ? `${NAMES[component]} (pid ${pid}) ignored SIGTERM for ${STOP_DEADLINE_MS[component] / 1000} s: killed` : `stopped ${NAMES[component]} (pid ${pid})`);
        } else {
          say(`${NAMES[component]} was not running${pid === null ? '' : ` (pid ${pid} in ${stackFile.pid(component)} is gone or not ours)`}`);
        }
        writePid(component, null);
        forget(state, component);
      }),
    );
    writeState(state);
    writeEnv(envLines(state));
  }, say);
}

async function status() {
  const state = readState();
  let allUp = true;
  for (const component of COMPONENTS) {
    const pid = pidOf(component);
    const ok = pid !== null && isOurs(pid) && (await answers(component, state));
    allUp &&= ok;
    const where = component === 'kafka' ? state.kafka && kafkaBrokers(state.kafka.port) : state.registry && registryUrl(state.registry.port);
    console.log(`${component}: ${ok ? `up (pid ${pid}) ${where}` : 'down'}`);
  }
  return allUp ? 0 : 3;
}

const USAGE = 'usage: node scripts/stack.js up|down|status [kafka|registry ...] [--json]';

async function main(argv) {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  const named = rest.filter((a) => a !== '--json');
  for (const name of named) {
    if (!COMPONENTS.includes(/** @type {Component} */ (name))) throw new StackError(`unknown component ${JSON.stringify(name)}; expected kafka or registry\n${USAGE}`);
  }
  const components = named.length > 0 ? /** @type {Component[]} */ (named) : [...COMPONENTS];
  switch (command) {
    case 'up':
      await up(components, json);
      return 0;
    case 'down':
      await down(components);
      return 0;
    case 'status':
      return status();
    case undefined:
    case '-h':
    case '--help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new StackError(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if (error instanceof StackError) say(`error: ${error.message}`);
    else say(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
