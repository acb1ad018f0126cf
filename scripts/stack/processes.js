// Detached JVMs that outlive `stack:up`, found again through pid files and recognised by a
// marker on their command line, so `stack:down` never signals a process it did not start.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { STACK_DIR } from './paths.js';

/** Put on every JVM's command line; `-D` properties are ignored by the programs themselves. */
export const MARKER = `-Diprisk.stack.dir=${STACK_DIR}`;

/** @param {string} file @param {number} lines */
export function tailOf(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

/** Alive and not a zombie: a container's init may never reap an orphaned JVM. */
export function isAlive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT' && fs.existsSync('/proc/self/stat')) return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

function commandLineOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    const ps = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return ps.status === 0 ? ps.stdout : '';
  }
}

/** True when `pid` is one of this checkout's stack JVMs (pids are reused after a reboot). */
export function isOurs(pid) {
  return isAlive(pid) && commandLineOf(pid).includes(MARKER);
}

/** @param {string} file @returns {number | null} */
export function readPid(file) {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Starts a JVM in its own session with its output in `logFile`, and lets this process exit.
 * @param {string} java @param {string[]} args
 * @param {{ cwd: string; env: NodeJS.ProcessEnv; logFile: string }} options
 * @returns {Promise<number>} the pid
 */
export function spawnDetached(java, args, { cwd, env, logFile }) {
  const log = fs.openSync(logFile, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(java, [MARKER, ...args], { cwd, env, detached: true, stdio: ['ignore', log, log] });
    child.once('error', (error) => {
      fs.closeSync(log);
      reject(error);
    });
    child.once('spawn', () => {
      fs.closeSync(log);
      child.unref();
      resolve(/** @type {number} */ (child.pid));
    });
  });
}

/**
 * SIGTERM to the process group (the JVM leads it), SIGKILL after the deadline.
 * @param {number} pid @param {number} deadlineMs
 * @returns {Promise<'stopped' | 'killed' | 'gone'>}
 */
export async function stopProcess(pid, deadlineMs) {
  if (!isAlive(pid)) return 'gone';
  const signal = (sig) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // Already gone.
      }
    }
  };
  signal('SIGTERM');
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(100);
  }
  signal('SIGKILL');
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  return 'killed';
}
