// Finds the installed JDKs and picks one per component: Kafka runs on 17+, Apicurio 3.3 on 21+.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { StackError } from './errors.js';

/** @typedef {{ home: string | null; java: string; major: number; version: string }} Jdk */

/** @param {string} version e.g. `17.0.15`, `25`, `1.8.0_402` */
function majorOf(version) {
  const parts = version.split(/[._+-]/);
  const first = Number(parts[0]);
  return first === 1 ? Number(parts[1]) : first;
}

/** Reads `JAVA_VERSION` from a JDK's `release` file, which is cheaper than starting a JVM. */
function versionFromRelease(home) {
  try {
    const text = fs.readFileSync(path.join(home, 'release'), 'utf8');
    const match = /^JAVA_VERSION="([^"]+)"/m.exec(text);
    return match?.[1] ?? null;
  } catch {
    return null;
  }
}

/** @param {string} java */
function versionFromBinary(java) {
  const result = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 20_000 });
  if (result.error || result.status !== 0) return null;
  const match = /version "([^"]+)"/.exec(result.stderr);
  return match?.[1] ?? null;
}

/** @param {string} home @returns {Jdk | null} */
function jdkAt(home) {
  const java = path.join(home, 'bin', 'java');
  if (!fs.existsSync(java)) return null;
  const version = versionFromRelease(home) ?? versionFromBinary(java);
  if (version === null) return null;
  return { home, java, major: majorOf(version), version };
}

/** Every distinct JDK in JAVA_HOME, /usr/lib/jvm (Debian), /Library/Java (macOS) and on PATH. */
export function findJdks() {
  /** @type {Map<string, Jdk>} */
  const byRealPath = new Map();
  /** @param {Jdk | null} jdk */
  const add = (jdk) => {
    if (jdk === null) return;
    const real = fs.realpathSync(jdk.java);
    if (!byRealPath.has(real)) byRealPath.set(real, jdk);
  };
  if (process.env.JAVA_HOME) add(jdkAt(process.env.JAVA_HOME));
  for (const root of ['/usr/lib/jvm', '/Library/Java/JavaVirtualMachines']) {
    if (!fs.existsSync(root)) continue;
    for (const name of fs.readdirSync(root).sort()) {
      add(jdkAt(path.join(root, name)) ?? jdkAt(path.join(root, name, 'Contents', 'Home')));
    }
  }
  const onPath = versionFromBinary('java');
  if (onPath !== null) {
    const which = spawnSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).stdout.trim();
    if (which) add({ home: null, java: which, major: majorOf(onPath), version: onPath });
  }
  return [...byRealPath.values()];
}

/**
 * A JDK named by an environment variable (KAFKA_JAVA_HOME, REGISTRY_JAVA_HOME) wins over discovery.
 * @param {string} variable @param {number} minMajor @returns {Jdk | null}
 */
function fromVariable(variable, minMajor) {
  const home = process.env[variable];
  if (!home) return null;
  const jdk = jdkAt(home);
  if (jdk === null) throw new StackError(`${variable}=${home} is not a JDK: ${path.join(home, 'bin', 'java')} is missing or does not run`);
  if (jdk.major < minMajor) throw new StackError(`${variable}=${home} is Java ${jdk.version}; Java ${minMajor} or newer is needed`);
  return jdk;
}

function noJava(minMajor, jdks) {
  const seen = jdks.length === 0 ? 'no Java at all' : `only ${jdks.map((j) => `Java ${j.version} (${j.java})`).join(', ')}`;
  return new StackError(
    `The local stack needs Java ${minMajor} or newer, and found ${seen} (looked in JAVA_HOME, /usr/lib/jvm and PATH). ` +
      'Install one, e.g. `apt-get install openjdk-17-jre-headless`, or point KAFKA_JAVA_HOME / REGISTRY_JAVA_HOME at a JDK.',
  );
}

/**
 * Kafka: the newest JDK (17 and 25 both verified; newer ones keep a class archive, see jvm-flags.js).
 * @param {Jdk[]} jdks @returns {Jdk}
 */
export function pickKafkaJava(jdks, minMajor = 17) {
  const fixed = fromVariable('KAFKA_JAVA_HOME', minMajor);
  if (fixed) return fixed;
  const pick = jdks.filter((j) => j.major >= minMajor).sort((a, b) => b.major - a.major)[0];
  if (!pick) throw noJava(minMajor, jdks);
  return pick;
}

/**
 * The registry: the newest JDK; the caller falls back to the Java 17 build when it is below 21.
 * @param {Jdk[]} jdks @returns {Jdk}
 */
export function pickRegistryJava(jdks, minMajor = 17) {
  const fixed = fromVariable('REGISTRY_JAVA_HOME', minMajor);
  if (fixed) return fixed;
  const pick = jdks.filter((j) => j.major >= minMajor).sort((a, b) => b.major - a.major)[0];
  if (!pick) throw noJava(minMajor, jdks);
  return pick;
}
