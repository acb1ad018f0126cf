// `node scripts/stack.js ...` from the tests: the shared test stack, and the stacks of their own
// (STACK_DIR) that the secured-cluster and chaos tests start.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';

const STACK_SCRIPT = path.join(REPO_ROOT, 'scripts', 'stack.js');

/** Runs the stack script to its end and gives its stdout; a non-zero exit rejects with its stderr. */
export function runStackScript(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs: number; echoStderr?: boolean },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STACK_SCRIPT, ...args], { cwd: REPO_ROOT, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      // Progress (a first-use download takes minutes) shows while the run waits.
      if (options.echoStderr === true) process.stderr.write(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`node scripts/stack.js ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr.trim()}`));
    });
  });
}
