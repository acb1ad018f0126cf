// Where the stack keeps its downloads (shared by every checkout on the machine) and its
// runtime state (per checkout, in the gitignored .stack/).
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
// STACK_DIR runs a second, independent stack beside the default one (a test that needs
// a broker configured differently, e.g. with secured listeners, starts its own there).
export const STACK_DIR = process.env.STACK_DIR ? path.resolve(process.env.STACK_DIR) : path.join(REPO_ROOT, '.stack');

/** `~/.cache/iprisk` (or `$XDG_CACHE_HOME/iprisk`): survives `git clean` and fresh clones. */
export function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'iprisk');
}

export const STACK_CACHE = path.join(cacheRoot(), 'stack');

// A private local repository rather than ~/.m2: everything the stack downloads then lives
// under one cache folder, and a user's own ~/.m2 is never touched. Their settings.xml
// (mirrors, proxies) still applies.
export const MAVEN_REPO = path.join(STACK_CACHE, 'm2');

export const stackFile = {
  state: path.join(STACK_DIR, 'state.json'),
  env: path.join(STACK_DIR, 'env'),
  lock: path.join(STACK_DIR, 'lock'),
  /** @param {string} component */
  pid: (component) => path.join(STACK_DIR, `${component}.pid`),
  /** @param {string} component */
  log: (component) => path.join(STACK_DIR, `${component}.log`),
  /** @param {string} component */
  dataDir: (component) => path.join(STACK_DIR, component),
  /** Certificates, keys and users of the secured listeners (KAFKA_SECURE=1). */
  secure: path.join(STACK_DIR, 'secure'),
};
