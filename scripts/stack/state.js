// What a running stack looks like on disk: pid files, state.json (ports), env (for users), lock.
import fs from 'node:fs';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './errors.js';
import { STACK_DIR, stackFile } from './paths.js';
import { isAlive, readPid } from './processes.js';

/**
 * @typedef {{ tlsPort: number; mtlsPort: number; saslPort: number; setup: string }} KafkaSecureState
 * @typedef {{ port: number; controllerPort: number; java: string; secure?: KafkaSecureState }} KafkaState
 * @typedef {{ port: number; managementPort: number; healthOnMainPort: boolean; version: string; java: string }} RegistryState
 * @typedef {{ kafka?: KafkaState; registry?: RegistryState }} StackState
 */

/** @returns {StackState} */
export function readState() {
  try {
    return JSON.parse(fs.readFileSync(stackFile.state, 'utf8'));
  } catch {
    return {};
  }
}

/** @param {StackState} state */
export function writeState(state) {
  fs.mkdirSync(STACK_DIR, { recursive: true });
  if (!state.kafka && !state.registry) {
    fs.rmSync(stackFile.state, { force: true });
    return;
  }
  fs.writeFileSync(stackFile.state, `${JSON.stringify(state, null, 2)}\n`);
}

/** @param {'kafka' | 'registry'} component */
export function pidOf(component) {
  return readPid(stackFile.pid(component));
}

/** @param {'kafka' | 'registry'} component @param {number | null} pid */
export function writePid(component, pid) {
  if (pid === null) fs.rmSync(stackFile.pid(component), { force: true });
  else fs.writeFileSync(stackFile.pid(component), `${pid}\n`);
}

/** `.stack/env`: one `NAME=value` line per running component, nothing else (users `source` it). */
export function writeEnv(lines) {
  if (lines.length === 0) fs.rmSync(stackFile.env, { force: true });
  else fs.writeFileSync(stackFile.env, `${lines.join('\n')}\n`);
}

function lockAgeMs() {
  try {
    return Date.now() - fs.statSync(stackFile.lock).mtimeMs;
  } catch {
    return Infinity;
  }
}

/**
 * Serialises `up` and `down` within one checkout (two test runs, or a user and a test run).
 * A cold first use downloads for minutes, so waiting is generous; a dead holder's lock is taken over.
 * @template T @param {() => Promise<T>} work @param {(msg: string) => void} say @returns {Promise<T>}
 */
export async function withLock(work, say, waitMs = 15 * 60_000) {
  fs.mkdirSync(STACK_DIR, { recursive: true });
  const until = Date.now() + waitMs;
  let announced = false;
  for (;;) {
    try {
      const fd = fs.openSync(stackFile.lock, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      break;
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
      const holder = readPid(stackFile.lock);
      // An empty lock may be one whose owner is between creating and writing it.
      if (holder === null ? lockAgeMs() > 5_000 : !isAlive(holder)) {
        fs.rmSync(stackFile.lock, { force: true });
        continue;
      }
      if (holder === null) {
        await sleep(100);
        continue;
      }
      if (Date.now() > until) throw new StackError(`another stack command (pid ${holder}) has held ${stackFile.lock} for too long`);
      if (!announced) say(`waiting for another stack command (pid ${holder}) to finish ...`);
      announced = true;
      await sleep(250);
    }
  }
  try {
    return await work();
  } finally {
    if (readPid(stackFile.lock) === process.pid) fs.rmSync(stackFile.lock, { force: true });
  }
}
