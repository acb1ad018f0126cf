// JVM flags that cut the stack's start-up CPU, which is what a start on a shared 2-core
// machine waits for. Measured on start-up to ready (CPU seconds of the JVM, load ~10):
//   Apicurio 3.3.3 on Java 25: 10-12.8 s plain, 6.6-7.1 s C1 only, 4.7-4.8 s C1 + class archive
//   Kafka 4.4.0:               9.3 s plain (Java 17), 5.3 s C1 only (17), 3.1-3.6 s C1 + archive (25)
// C1 only lowers peak throughput, which test traffic never reaches; STACK_JVM_OPTS comes last,
// so `STACK_JVM_OPTS=-XX:TieredStopAtLevel=4` restores the full JIT.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { STACK_CACHE } from './paths.js';

/**
 * @param {{ major: number; version: string }} jdk
 * @param {string} archive a name for the class archive, unique per program and version
 */
export function startupFlags(jdk, archive) {
  const flags = ['-XX:TieredStopAtLevel=1'];
  // Java 19+ writes the archive at the first exit and maps it on later starts; a stale or
  // broken archive is detected by the JVM and rewritten.
  if (jdk.major >= 19) {
    const dir = path.join(STACK_CACHE, 'cds');
    fs.mkdirSync(dir, { recursive: true });
    flags.push('-XX:+AutoCreateSharedArchive', `-XX:SharedArchiveFile=${path.join(dir, `${archive}-java${jdk.version}.jsa`)}`);
  }
  const extra = (process.env.STACK_JVM_OPTS ?? '').split(/\s+/).filter((f) => f !== '');
  return [...flags, ...extra];
}
