// Kafka in KRaft combined mode (one process is both broker and controller), fresh data per start.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { StackError } from './errors.js';
import { KAFKA } from './versions.js';
import { startupFlags } from './jvm-flags.js';
import { metadataBrokers } from './kafka-metadata.js';
import { stackFile } from './paths.js';
import { spawnDetached, tailOf } from './processes.js';
import { scramFormatArgs, secureListeners, secureProperties } from './secure.js';

const HOST = '127.0.0.1';
const STARTED_LINE = 'Kafka Server started';

/** @param {{ port: number; controllerPort: number; dataDir: string; secure?: import('./secure.js').SecureSetup }} o */
function serverProperties({ port, controllerPort, dataDir, secure }) {
  const extra = secure ? secureListeners(HOST, secure) : { listeners: [], protocols: [] };
  return [
    'process.roles=broker,controller',
    'node.id=1',
    // Static voters: `StorageTool format` then needs no --standalone / --initial-controllers.
    `controller.quorum.voters=1@${HOST}:${controllerPort}`,
    `listeners=${[`PLAINTEXT://${HOST}:${port}`, `CONTROLLER://${HOST}:${controllerPort}`, ...extra.listeners].join(',')}`,
    `advertised.listeners=${[`PLAINTEXT://${HOST}:${port}`, ...extra.listeners].join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=${['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT', ...extra.protocols].join(',')}`,
    ...(secure ? secureProperties(secure) : []),
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    // A single broker: every replication factor and min.isr must be 1 or internal topics never form.
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Fewer coordinator partitions than the default 50: the first group or transaction in a
    // test then waits for 5 partitions to load, not 50.
    'offsets.topic.num.partitions=5',
    'transaction.state.log.num.partitions=5',
    // Tests join a group once; the default 3 s delay would be added to every first join.
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    '',
  ].join('\n');
}

const LOG4J2 = [
  'status = warn',
  'appender.out.type = Console',
  'appender.out.name = OUT',
  'appender.out.layout.type = PatternLayout',
  'appender.out.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = INFO',
  'rootLogger.appenderRef.out.ref = OUT',
  // The per-partition state machine logs every transition at INFO; warnings are enough here.
  'logger.state.name = state.change.logger',
  'logger.state.level = WARN',
  '',
].join('\n');

/** Kafka's cluster ids are 16 random bytes in unpadded base64url (22 characters). */
function clusterId() {
  return crypto.randomBytes(16).toString('base64url');
}

/** @param {string} java @param {string[]} args @param {NodeJS.ProcessEnv} env @param {string} logFile */
function runToEnd(java, args, env, logFile) {
  const log = fs.openSync(logFile, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(java, args, { env, stdio: ['ignore', log, log] });
    child.once('error', (error) => {
      fs.closeSync(log);
      reject(new StackError(`could not run ${java}: ${error.message}`));
    });
    child.once('exit', (code) => {
      fs.closeSync(log);
      if (code === 0) resolve(undefined);
      else reject(new StackError(`formatting Kafka's storage failed (exit ${code}); see ${logFile}:\n${tailOf(logFile, 20)}`));
    });
  });
}

/**
 * Formats a fresh data folder and starts the broker detached; with `secure`, also its TLS,
 * mutual-TLS and SASL_SSL listeners and SCRAM users (see secure.js).
 * @param {{ jdk: import('./java.js').Jdk; libs: string; port: number; controllerPort: number; secure?: import('./secure.js').SecureSetup }} o
 * @returns {Promise<number>} the pid
 */
export async function startKafka({ jdk, libs, port, controllerPort, secure }) {
  const { java } = jdk;
  const home = stackFile.dataDir('kafka');
  fs.rmSync(home, { recursive: true, force: true });
  const dataDir = path.join(home, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const properties = path.join(home, 'server.properties');
  fs.writeFileSync(properties, serverProperties({ port, controllerPort, dataDir, secure }));
  const log4j = path.join(home, 'log4j2.properties');
  fs.writeFileSync(log4j, LOG4J2);
  // The classpath goes in CLASSPATH: the JVM expands `dir/*` itself there, whereas a glob in
  // `-cp $VAR` is expanded (or mangled) by whatever shell runs the command.
  const env = { ...process.env, CLASSPATH: path.join(libs, '*') };
  delete env.JAVA_TOOL_OPTIONS;
  const jvm = ['-Xmx512m', '-Xms256m', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${log4j}`];
  // The two programs load different classes: one archive each, or they would keep replacing one.
  const format = [...jvm, ...startupFlags(jdk, `kafka-${KAFKA.version}-format`), 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', properties, ...(secure ? scramFormatArgs(secure) : [])];
  await runToEnd(java, format, env, path.join(home, 'format.log'));
  try {
    const server = [...jvm, ...startupFlags(jdk, `kafka-${KAFKA.version}-server`), 'kafka.Kafka', properties];
    return await spawnDetached(java, server, { cwd: home, env, logFile: stackFile.log('kafka') });
  } catch (error) {
    throw new StackError(`could not start Kafka with ${java}: ${/** @type {Error} */ (error).message}`);
  }
}

/** Ready: the log says the server started AND a Metadata request is answered. */
export async function kafkaAnswers(port) {
  let log;
  try {
    log = fs.readFileSync(stackFile.log('kafka'), 'utf8');
  } catch {
    return false;
  }
  if (!log.includes(STARTED_LINE)) return false;
  return kafkaMetadataAnswers(port);
}

/** @param {number} port */
export async function kafkaMetadataAnswers(port) {
  try {
    const brokers = await metadataBrokers(HOST, port, 2_000);
    return brokers.length > 0;
  } catch {
    return false;
  }
}

export function kafkaBrokers(port) {
  return `${HOST}:${port}`;
}
