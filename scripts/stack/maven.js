// Runs Maven only to fetch artifacts from Maven Central into the cache; nothing is built.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { StackError } from './errors.js';
import { MAVEN_REPO } from './paths.js';
import { tailOf } from './processes.js';

/**
 * @param {string[]} goalAndArgs
 * @param {{ cwd: string; logFile: string; what: string }} options
 * @returns {Promise<void>}
 */
export function runMaven(goalAndArgs, { cwd, logFile, what }) {
  const args = ['-B', '-ntp', `-Dmaven.repo.local=${MAVEN_REPO}`, ...goalAndArgs];
  const log = fs.openSync(logFile, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { cwd, stdio: ['ignore', log, log] });
    child.once('error', (error) => {
      fs.closeSync(log);
      if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') {
        reject(
          new StackError(
            `Maven (mvn) is needed once to download ${what} from Maven Central into ${MAVEN_REPO}, and it is not on PATH. ` +
              'Install it (e.g. `apt-get install maven`) and run again.',
          ),
        );
      } else {
        reject(new StackError(`could not run mvn to download ${what}: ${error.message}`, { cause: error }));
      }
    });
    child.once('exit', (code, signal) => {
      fs.closeSync(log);
      if (code === 0) resolve();
      else
        reject(
          new StackError(
            `mvn failed (${signal ?? `exit ${code}`}) while downloading ${what}; its output is in ${logFile}:\n${tailOf(logFile, 25)}`,
          ),
        );
    });
  });
}
