// Apicurio Registry, whose Confluent-compatible API stands in for a Confluent Schema Registry.
import fs from 'node:fs';
import http from 'node:http';
import process from 'node:process';
import { StackError } from './errors.js';
import { startupFlags } from './jvm-flags.js';
import { stackFile } from './paths.js';
import { spawnDetached } from './processes.js';
import { REGISTRY } from './versions.js';

const HOST = '127.0.0.1';

/**
 * Starts the registry detached. Storage is in memory, so every start is empty.
 * @param {{ jdk: import('./java.js').Jdk; jar: string; version: string; port: number; managementPort: number }} o
 * @returns {Promise<number>} the pid
 */
export async function startRegistry({ jdk, jar, version, port, managementPort }) {
  const { java } = jdk;
  const home = stackFile.dataDir('registry');
  fs.rmSync(home, { recursive: true, force: true });
  fs.mkdirSync(home, { recursive: true });
  const env = { ...process.env };
  delete env.JAVA_TOOL_OPTIONS;
  const args = [
    '-Xmx512m',
    ...startupFlags(jdk, `apicurio-registry-${version}`),
    `-Dquarkus.http.host=${HOST}`,
    `-Dquarkus.http.port=${port}`,
    `-Dquarkus.management.host=${HOST}`,
    `-Dquarkus.management.port=${managementPort}`,
    // Tests clean up after themselves; Apicurio refuses deletes unless told otherwise.
    '-Dapicurio.rest.deletion.artifact.enabled=true',
    '-Dapicurio.rest.deletion.artifact-version.enabled=true',
    '-Dapicurio.rest.deletion.group.enabled=true',
    '-jar',
    jar,
  ];
  try {
    return await spawnDetached(java, args, { cwd: home, env, logFile: stackFile.log('registry') });
  } catch (error) {
    throw new StackError(`could not start the registry with ${java}: ${/** @type {Error} */ (error).message}`);
  }
}

/** @param {string} url @returns {Promise<number>} the status code, 0 when nothing answered */
function statusOf(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
  });
}

/**
 * Ready: the health check says UP and the Confluent-compatible API answers.
 * @param {{ port: number; managementPort: number; healthOnMainPort: boolean }} o
 */
export async function registryAnswers({ port, managementPort, healthOnMainPort }) {
  const healthPort = healthOnMainPort ? port : managementPort;
  if ((await statusOf(`http://${HOST}:${healthPort}/health/ready`)) !== 200) return false;
  return (await statusOf(`${registryUrl(port)}/subjects`)) === 200;
}

export function registryUrl(port) {
  return `http://${HOST}:${port}${REGISTRY.ccompatPath}`;
}
