// Docker helpers for the tests that need an engine: the image's smoke test and the broker and
// registry containers. Tests ask `dockerAnswers()` first and run only where an engine answers,
// with the condition in the suite's name so a run without one says so instead of passing quietly.
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';

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

export interface DockerResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock time of the command. */
  ms: number;
}

/** Runs `docker ARGS` and resolves with its outcome whatever the exit status (never rejects on one). */
export function docker(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<DockerResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 60_000, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      resolve({ status, stdout, stderr, ms: performance.now() - started });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** `docker ARGS`, its stdout, or an error naming the command and its stderr. */
export async function dockerOk(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const result = await docker(args, options);
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.status}:\n${result.stderr.trim().slice(-4000)}`);
  return result.stdout;
}

// Cold, the local base is a debootstrap (about 30 s) plus two npm packs and an image build
// (about 1 min); the iprisk build is two npm installs and a compile (about 2.5 min measured).
const NODE_BASE_TIMEOUT_MS = 10 * 60_000;
export const IMAGE_BUILD_TIMEOUT_MS = 15 * 60_000;

let nodeBase: Promise<string> | undefined;

/**
 * A Node 24 image to build iprisk on: $NODE_IMAGE when set (e.g. the official
 * node:24-bookworm-slim where a registry is reachable), else the locally made base of
 * scripts/docker/node-base.sh, built on first use and cached.
 */
export function ensureNodeBase(): Promise<string> {
  nodeBase ??= (async () => {
    const chosen = process.env.NODE_IMAGE;
    if (chosen !== undefined && chosen !== '') return chosen;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(path.join(REPO_ROOT, 'scripts', 'docker', 'node-base.sh'), [], { timeout: NODE_BASE_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error) reject(new Error(`scripts/docker/node-base.sh failed: ${error.message}\n${stderr.trim()}`, { cause: error }));
        else resolve(stdout);
      });
    });
    const image = out.trim().split('\n').at(-1) ?? '';
    if (image === '') throw new Error('scripts/docker/node-base.sh printed no image name');
    return image;
  })();
  nodeBase.catch(() => (nodeBase = undefined));
  return nodeBase;
}

export interface BuiltImage {
  /** The tag built. */
  image: string;
  /** The base it was built on (the NODE_IMAGE build argument). */
  nodeImage: string;
  /** Time of the `docker build` alone; a warm layer cache makes it seconds. */
  buildMs: number;
}

const builds = new Map<string, Promise<BuiltImage>>();

/**
 * Builds the repository's Dockerfile as `tag` on `ensureNodeBase()`, once per process and tag.
 * `--network host`: where containers have no bridge, npm inside the build reaches the registry
 * through the host's network.
 */
export function buildIprisk(tag = 'iprisk:test'): Promise<BuiltImage> {
  let build = builds.get(tag);
  if (build === undefined) {
    build = (async () => {
      const nodeImage = await ensureNodeBase();
      const result = await docker(['build', '--network', 'host', '--build-arg', `NODE_IMAGE=${nodeImage}`, '-t', tag, REPO_ROOT], { timeoutMs: IMAGE_BUILD_TIMEOUT_MS });
      if (result.status !== 0) {
        throw new Error(`docker build of ${tag} on ${nodeImage} exited ${result.status}:\n${(result.stdout + result.stderr).trim().slice(-6000)}`);
      }
      return { image: tag, nodeImage, buildMs: result.ms };
    })();
    build.catch(() => builds.delete(tag));
    builds.set(tag, build);
  }
  return build;
}

/** The size in bytes of a local image, as `docker image inspect` reports it. */
export async function imageSize(image: string): Promise<number> {
  const out = await dockerOk(['image', 'inspect', '--format', '{{.Size}}', image]);
  return Number(out.trim());
}
