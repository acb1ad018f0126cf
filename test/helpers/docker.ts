// Docker helpers for the tests that need an engine: the image's smoke test and the broker and
// registry containers. Tests ask `dockerAnswers()` first and run only where an engine answers,
// with the condition in the suite's name so a run without one says so instead of passing quietly.
import { execFile } from 'node:child_process';

const DOCKER = process.env.DOCKER ?? 'docker';
// `docker info` answers in tens of milliseconds where an engine runs; a client without one
// fails at once, and a hung socket must not stall the whole test collection.
const INFO_TIMEOUT_MS = 15_000;

let answers: Promise<boolean> | undefined;

/**
 * Whether a Docker engine answers `docker info` (a client binary alone is not enough). Asked
 * once per process; the answer is shared.
 */
export function dockerAnswers(): Promise<boolean> {
  answers ??= new Promise((resolve) => {
    execFile(DOCKER, ['info', '--format', '{{.ServerVersion}}'], { timeout: INFO_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout) => {
      resolve(error === null && stdout.trim() !== '');
    });
  });
  return answers;
}
