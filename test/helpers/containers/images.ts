// The broker and registry images the container path starts. Where an image registry answers,
// the official `apache/kafka` and `apicurio/apicurio-registry` images; where none does, images
// built here FROM the locally made Debian base (scripts/docker/base-image.sh), with a Java
// runtime linked from the machine's JDK and the same Maven Central artifacts the JVM stack runs.
// A local image's tag is derived from its inputs (versions, Dockerfile, base, JDK), so it is
// built once and a later run only checks that the tag exists.
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../paths.js';
import * as stack from './stack-scripts.js';
import type { Jdk, Say } from './stack-scripts.js';

export const DOCKER = process.env.DOCKER ?? 'docker';
const IMAGES_DIR = path.join(REPO_ROOT, 'docker', 'test-images');
const BASE_IMAGE_SCRIPT = path.join(REPO_ROOT, 'scripts', 'docker', 'base-image.sh');
// A cold build sends about 300 MB of context (the runtime and the registry's jars) to the engine.
const BUILD_TIMEOUT_MS = 10 * 60_000;
// `docker pull` prints its first line once the registry has answered for the manifest; an
// unreachable registry fails within a second here, a silently dropping firewall never does.
const PULL_FIRST_ANSWER_MS = 60_000;
const PULL_TIMEOUT_MS = 15 * 60_000;

/**
 * What the broker and the registry need at run time, and nothing of the JDK's tools. Kafka and
 * Quarkus use parts of most `java.*` modules (java.se), JMX (jdk.management), Unsafe
 * (jdk.unsupported) and the Kerberos/SASL pieces Kafka's security code links against.
 */
const RUNTIME_MODULES = [
  'java.se',
  'jdk.unsupported',
  'jdk.management',
  'jdk.zipfs',
  'jdk.naming.dns',
  'jdk.security.auth',
  'jdk.security.jgss',
  'jdk.jfr',
  'jdk.net',
  'jdk.httpserver',
];

export type ImageOrigin = 'given' | 'official' | 'local';

export interface StackImages {
  kafka: { image: string; origin: ImageOrigin };
  registry: { image: string; origin: ImageOrigin };
}

export interface BuildTimes {
  /** Milliseconds spent making each local image that was missing (absent when it existed). */
  [image: string]: number;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], options: { timeoutMs: number; progress?: Say; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const { progress } = options;
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stdout += text;
      if (progress === undefined) return;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') progress(line);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function imageExists(image: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(DOCKER, ['image', 'inspect', '--format', '{{.Id}}', image], { timeout: 30_000 }, (error) => { resolve(error === null); });
  });
}

/**
 * Pulls `image`, or says why not. An engine without a reachable registry answers "no such host"
 * at once; one that never answers is given up on after a minute without a first line.
 */
async function pull(image: string, say: Say): Promise<boolean> {
  say(`pulling ${image} ...`);
  return new Promise((resolve) => {
    const child = spawn(DOCKER, ['pull', image], { stdio: ['ignore', 'pipe', 'pipe'] });
    let answered = false;
    let stderr = '';
    const silence = setTimeout(() => child.kill('SIGTERM'), PULL_FIRST_ANSWER_MS);
    const overall = setTimeout(() => child.kill('SIGTERM'), PULL_TIMEOUT_MS);
    child.stdout.on('data', () => {
      if (!answered) clearTimeout(silence);
      answered = true;
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', () => { resolve(false); });
    child.once('close', (code) => {
      clearTimeout(silence);
      clearTimeout(overall);
      if (code !== 0) say(`could not pull ${image}: ${stderr.trim() || 'no answer from the registry'}`);
      resolve(code === 0);
    });
  });
}

function shortHash(parts: readonly string[]): string {
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 12);
}

/** The Dockerfile folder's files, in a stable order, as input to the tag. */
function folderDigest(folder: string): string[] {
  return fs
    .readdirSync(folder)
    .sort()
    .flatMap((name) => [name, fs.readFileSync(path.join(folder, name), 'utf8')]);
}

/** Hard links where the cache and the context share a file system (instant), else copies. */
function linkTree(source: string, target: string): void {
  const stat = fs.statSync(source);
  if (stat.isDirectory()) {
    fs.mkdirSync(target, { recursive: true });
    for (const name of fs.readdirSync(source)) linkTree(path.join(source, name), path.join(target, name));
    return;
  }
  try {
    fs.linkSync(source, target);
  } catch {
    fs.copyFileSync(source, target);
    fs.chmodSync(target, stat.mode);
  }
}

function dockerCache(): Promise<string> {
  return stack.paths().then(({ cacheRoot }) => path.join(cacheRoot(), 'docker'));
}

async function baseImage(say: Say): Promise<string> {
  const result = await run('bash', [BASE_IMAGE_SCRIPT], { timeoutMs: BUILD_TIMEOUT_MS });
  if (result.code !== 0) throw new Error(`scripts/docker/base-image.sh failed (exit ${result.code}):\n${result.stderr.trim()}`);
  const image = result.stdout.trim().split('\n').at(-1) ?? '';
  say(`base image ${image}`);
  return image;
}

/** The newest JDK 21+ (Apicurio 3.3 needs 21) that can link a runtime; TEST_IMAGE_JDK names one. */
async function imageJdk(): Promise<Jdk | undefined> {
  const { findJdks } = await stack.java();
  const named = process.env.TEST_IMAGE_JDK;
  const jdks = findJdks().filter((jdk) => jdk.home !== null && (named === undefined || path.resolve(jdk.home) === path.resolve(named)));
  return jdks.filter((jdk) => jdk.major >= 21 && jdk.home !== null && fs.existsSync(path.join(jdk.home, 'bin', 'jlink'))).sort((a, b) => b.major - a.major)[0];
}

/** A runtime linked from `jdk` (128 MB from Temurin 25 against 303 MB for the whole JDK), cached. */
async function ensureRuntime(jdk: Jdk, say: Say): Promise<string> {
  const home = jdk.home!;
  const target = path.join(await dockerCache(), 'jre', `${jdk.version}-${shortHash([home, ...RUNTIME_MODULES])}`);
  if (fs.existsSync(path.join(target, 'release'))) return target;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temp = `${target}.tmp-${process.pid}`;
  fs.rmSync(temp, { recursive: true, force: true });
  say(`linking a Java ${jdk.version} runtime with jlink (about 40 s, once) ...`);
  const started = Date.now();
  // --generate-cds-archive: the default class archive, which the JDK has and jlink output lacks.
  const args = ['--add-modules', RUNTIME_MODULES.join(','), '--strip-debug', '--no-man-pages', '--no-header-files', '--generate-cds-archive', '--output', temp];
  const result = await run(path.join(home, 'bin', 'jlink'), args, { timeoutMs: BUILD_TIMEOUT_MS });
  if (result.code !== 0) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw new Error(`jlink from ${home} failed (exit ${result.code}):\n${(result.stderr + result.stdout).trim()}`);
  }
  try {
    fs.renameSync(temp, target);
  } catch (error) {
    // A concurrent run linked the same runtime first; theirs is as good.
    fs.rmSync(temp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(target, 'release'))) throw error;
  }
  say(`linked the runtime in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return target;
}

/**
 * Builds `image` from docker/test-images/<name> unless it exists. The context is a private
 * temporary folder: the Dockerfile folder plus what `fill` links in.
 */
async function buildImage(image: string, name: string, buildArgs: Record<string, string>, fill: (context: string) => void, say: Say, times: BuildTimes): Promise<void> {
  if (await imageExists(image)) return;
  const started = Date.now();
  const root = path.join(await dockerCache(), 'contexts');
  fs.mkdirSync(root, { recursive: true });
  const context = fs.mkdtempSync(path.join(root, `${name}-`));
  try {
    linkTree(path.join(IMAGES_DIR, name), context);
    fill(context);
    say(`building ${image} ...`);
    const args = ['build', '--network', 'host', '--tag', image, ...Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]), context];
    // The legacy builder's steps only: its layer ids and intermediate containers are noise.
    const progress = (line: string): void => {
      if (/^(Step |Sending build context)/.test(line)) say(`  ${line}`);
    };
    const result = await run(DOCKER, args, { timeoutMs: BUILD_TIMEOUT_MS, progress });
    if (result.code !== 0) throw new Error(`docker build of ${image} failed (exit ${result.code}):\n${result.stderr.trim()}\n${result.stdout.trim().split('\n').slice(-15).join('\n')}`);
  } finally {
    fs.rmSync(context, { recursive: true, force: true });
  }
  times[image] = Date.now() - started;
  say(`built ${image} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** The three local images (runtime, broker, registry), made where missing. */
async function localImages(jdk: Jdk, needed: { kafka: boolean; registry: boolean }, say: Say, times: BuildTimes): Promise<{ kafka: string; registry: string }> {
  const { KAFKA, REGISTRY } = await stack.versions();
  const base = await baseImage(say);
  const jreImage = `iprisk-local/test-jre:${jdk.version}-${shortHash([base, jdk.home ?? '', ...RUNTIME_MODULES, ...folderDigest(path.join(IMAGES_DIR, 'jre'))])}`;
  const kafka = `iprisk-local/test-kafka:${KAFKA.version}-${shortHash([jreImage, KAFKA.scala, ...folderDigest(path.join(IMAGES_DIR, 'kafka'))])}`;
  const registry = `iprisk-local/test-registry:${REGISTRY.current.version}-${shortHash([jreImage, ...folderDigest(path.join(IMAGES_DIR, 'registry'))])}`;
  const missingKafka = needed.kafka && !(await imageExists(kafka));
  const missingRegistry = needed.registry && !(await imageExists(registry));
  if (!missingKafka && !missingRegistry) return { kafka, registry };

  const { ensureKafka, ensureRegistry } = await stack.install();
  // The downloads are the JVM stack's own, into the same cache (~/.cache/iprisk/stack).
  const [libs, dist] = await Promise.all([
    missingKafka ? ensureKafka(say) : Promise.resolve(undefined),
    missingRegistry ? ensureRegistry(jdk.major, say) : Promise.resolve(undefined),
  ]);
  const runtime = await ensureRuntime(jdk, say);
  await buildImage(jreImage, 'jre', { BASE_IMAGE: base }, (context) => { linkTree(runtime, path.join(context, 'jre')); }, say, times);
  if (libs !== undefined) await buildImage(kafka, 'kafka', { JRE_IMAGE: jreImage }, (context) => { linkTree(libs, path.join(context, 'libs')); }, say, times);
  if (dist !== undefined) {
    const app = path.dirname(dist.jar);
    await buildImage(
      registry,
      'registry',
      { JRE_IMAGE: jreImage },
      (context) => {
        linkTree(app, path.join(context, 'app'));
        // The cache's own completion marker is no part of the application.
        fs.rmSync(path.join(context, 'app', '.complete'), { force: true });
      },
      say,
      times,
    );
  }
  return { kafka, registry };
}

type ImagesMode = 'auto' | 'official' | 'local';

function imagesMode(): ImagesMode {
  const value = (process.env.TEST_IMAGES ?? 'auto').trim().toLowerCase();
  if (value === 'auto' || value === 'official' || value === 'local') return value;
  throw new Error(`TEST_IMAGES=${value} is not one of auto, official, local`);
}

/**
 * The images to start. In order: TEST_KAFKA_IMAGE / TEST_REGISTRY_IMAGE as given;
 * the official image when present or pullable (TEST_IMAGES=official: only that);
 * else (or with TEST_IMAGES=local) the local build.
 */
export async function ensureImages(needed: { kafka: boolean; registry: boolean }, say: Say): Promise<{ images: StackImages; buildTimes: BuildTimes }> {
  const { KAFKA, REGISTRY } = await stack.versions();
  const mode = imagesMode();
  const times: BuildTimes = {};
  const official = { kafka: `apache/kafka:${KAFKA.version}`, registry: `apicurio/apicurio-registry:${REGISTRY.current.version}` };
  const given = { kafka: process.env.TEST_KAFKA_IMAGE?.trim(), registry: process.env.TEST_REGISTRY_IMAGE?.trim() };

  const pick = async (component: 'kafka' | 'registry'): Promise<{ image: string; origin: ImageOrigin } | undefined> => {
    const named = given[component];
    if (named !== undefined && named !== '') return { image: named, origin: 'given' };
    if (!needed[component] || mode === 'local') return undefined;
    if ((await imageExists(official[component])) || (await pull(official[component], say))) return { image: official[component], origin: 'official' };
    if (mode === 'official') throw new Error(`TEST_IMAGES=official, and ${official[component]} is neither present nor pullable`);
    return undefined;
  };
  const kafka = await pick('kafka');
  const registry = await pick('registry');
  if ((kafka !== undefined || !needed.kafka) && (registry !== undefined || !needed.registry)) {
    return { images: { kafka: kafka ?? { image: official.kafka, origin: 'official' }, registry: registry ?? { image: official.registry, origin: 'official' } }, buildTimes: times };
  }

  const jdk = await imageJdk();
  if (jdk === undefined) {
    throw new Error(
      'No image registry answered for the official Kafka and Apicurio images, and no JDK 21+ with jlink was found to build local ones from ' +
        '(looked in JAVA_HOME, /usr/lib/jvm and PATH; TEST_IMAGE_JDK names one). Pull or load apache/kafka and apicurio/apicurio-registry, ' +
        'name images with TEST_KAFKA_IMAGE / TEST_REGISTRY_IMAGE, or install a JDK.',
    );
  }
  const local = await localImages(jdk, { kafka: needed.kafka && kafka === undefined, registry: needed.registry && registry === undefined }, say, times);
  return {
    images: { kafka: kafka ?? { image: local.kafka, origin: 'local' }, registry: registry ?? { image: local.registry, origin: 'local' } },
    buildTimes: times,
  };
}
