import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { childEnv } from './env.js';
import { REPO_ROOT } from './paths.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `iprisk` binary (npm test builds dist/ before vitest runs). */
export function iprisk(args: readonly string[], options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'iprisk.js'), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    input: options.input ?? '',
    encoding: 'utf8',
    env: childEnv(options.env),
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
