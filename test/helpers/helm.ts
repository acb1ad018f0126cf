// The Helm binary and the manifest validator the chart tests need, installed on first use and
// cached under ~/.cache/iprisk: Helm is built from the Go module proxy (no release download is
// reachable from CI), kubernetes-validate comes from PyPI with the Kubernetes schemas inside.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensurePipTool } from './python-venv.js';

export const HELM_VERSION = 'v3.22.0';
export const KUBERNETES_VALIDATE_VERSION = '1.37.0';
/** The Kubernetes release the chart is rendered for and validated against. */
export const KUBE_VERSION = '1.33.0';

// A cold `go install` of Helm downloads about 200 modules and compiles them: 2.5 min measured
// on an idle 2-core machine, more when the machine is shared.
const BUILD_TIMEOUT_MS = 20 * 60_000;

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; a non-zero exit is a result, not an exception. */
export function exec(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${file} ${args.join(' ')} did not run: ${error.message}\n${stderr.trim()}`, { cause: error }));
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

function cacheRoot(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'iprisk');
}

/** `version.BuildInfo{Version:"v3.22.0", ...}` names the version; anything else does not match. */
async function helmVersionOf(binary: string): Promise<string | undefined> {
  try {
    const out = await exec(binary, ['version', '--template', '{{ .Version }}'], { timeoutMs: 30_000 });
    return out.code === 0 ? out.stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

async function buildHelm(target: string): Promise<void> {
  const goRoot = path.join(cacheRoot(), 'go');
  // Built into a fresh folder and renamed into place, so an interrupted build or a concurrent
  // one is never taken for a finished binary.
  const gobin = `${path.dirname(target)}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  fs.mkdirSync(gobin, { recursive: true });
  try {
    const env = {
      ...process.env,
      GOBIN: gobin,
      GOPATH: goRoot,
      GOMODCACHE: path.join(goRoot, 'pkg', 'mod'),
      GOCACHE: path.join(goRoot, 'build-cache'),
      // Module files read-only (Go's default) make the cache impossible to delete without chmod.
      GOFLAGS: '-modcacherw',
      CGO_ENABLED: '0',
    };
    let out: ExecResult;
    try {
      out = await exec('go', ['install', `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], { env, timeoutMs: BUILD_TIMEOUT_MS });
    } catch (error) {
      throw new Error(`Helm ${HELM_VERSION} is built with Go for these tests, and \`go\` does not run: install Go 1.24 or later, or put helm ${HELM_VERSION} on PATH`, { cause: error });
    }
    if (out.code !== 0) throw new Error(`go install helm.sh/helm/v3/cmd/helm@${HELM_VERSION} failed (exit ${out.code}):\n${out.stderr.trim()}`);
    const built = path.join(gobin, 'helm');
    if (!isBuiltVersion(await helmVersionOf(built))) throw new Error(`go install left no working helm ${HELM_VERSION} in ${gobin}`);
    try {
      fs.renameSync(gobin, path.dirname(target));
    } catch (error) {
      // Another process finished first: its binary is as good as ours.
      if (!fs.existsSync(target)) throw error;
    }
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
}

/**
 * `go install` sets no version ldflags, so a binary built from the v3.22.0 module reports the
 * source default `v3.22`; release binaries report `v3.22.0`. The cache folder pins the module.
 */
function isBuiltVersion(reported: string | undefined): boolean {
  return reported === HELM_VERSION || reported === HELM_VERSION.replace(/\.0$/, '');
}

let helmPending: Promise<string> | undefined;

/**
 * The path of a helm v3.22.0 binary: one on PATH if it is that version, else the cached build
 * under ~/.cache/iprisk/tools/helm-v3.22.0, built on first use (give the hook minutes).
 */
export function ensureHelm(): Promise<string> {
  helmPending ??= (async () => {
    const fromPath = onPath('helm');
    if (fromPath !== undefined && (await helmVersionOf(fromPath)) === HELM_VERSION) return fromPath;
    const target = path.join(cacheRoot(), 'tools', `helm-${HELM_VERSION}`, 'helm');
    if (!isBuiltVersion(await helmVersionOf(target))) {
      fs.rmSync(path.dirname(target), { recursive: true, force: true });
      await buildHelm(target);
    }
    return target;
  })();
  helmPending.catch(() => {
    helmPending = undefined;
  });
  return helmPending;
}

/** The `kubernetes-validate` command from PyPI (schemas of every Kubernetes release bundled). */
export async function ensureKubernetesValidate(): Promise<{ file: string; args: string[] }> {
  return { file: await ensurePipTool('kubernetes-validate', KUBERNETES_VALIDATE_VERSION, 'kubernetes-validate'), args: [] };
}
