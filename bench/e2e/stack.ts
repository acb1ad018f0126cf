/**
 * The broker and registry the end-to-end bench runs against, found or started the way
 * test/helpers/stack.ts does it for the Kafka tests (that module is a vitest global setup and
 * is not part of the bench build): KAFKA_BROKERS and SCHEMA_REGISTRY_URL when set, else the
 * local JVM stack of scripts/stack.js on free ports. Whatever this run started, it stops;
 * a stack that was already running is left alone.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';

type Component = 'kafka' | 'registry';

export interface BenchStack {
  brokers: string[];
  registryUrl: string;
  /** What this run started and must stop. */
  started: Component[];
  /** The broker JVM's pid when it is the local stack's, for its CPU time; undefined otherwise. */
  kafkaPid: number | undefined;
}

const STACK_SCRIPT = path.join(PACKAGE_ROOT, 'scripts', 'stack.js');
// A cold machine downloads about 200 MB from Maven Central before anything starts.
const UP_TIMEOUT_MS = 15 * 60_000;
const DOWN_TIMEOUT_MS = 2 * 60_000;

function runStackScript(args: readonly string[], timeoutMs: number, log: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STACK_SCRIPT, ...args], {
      cwd: PACKAGE_ROOT,
      // Free ports unless the caller chose some, so a stack another checkout runs on the default ports is no obstacle.
      env: { ...process.env, KAFKA_PORT: process.env.KAFKA_PORT ?? '0', REGISTRY_PORT: process.env.REGISTRY_PORT ?? '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderr += text;
      for (const line of text.split('\n')) if (line.trim() !== '') log(line.trim());
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
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

function localKafkaPid(): number | undefined {
  const file = path.join(PACKAGE_ROOT, '.stack', 'kafka.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export async function ensureBenchStack(log: (line: string) => void): Promise<BenchStack> {
  const brokers = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter((b) => b !== '');
  const registryUrl = process.env.SCHEMA_REGISTRY_URL?.trim().replace(/\/+$/, '');
  const givenBrokers = brokers !== undefined && brokers.length > 0 ? brokers : undefined;
  const givenRegistry = registryUrl !== undefined && registryUrl !== '' ? registryUrl : undefined;
  if (givenBrokers && givenRegistry) return { brokers: givenBrokers, registryUrl: givenRegistry, started: [], kafkaPid: undefined };
  const missing: Component[] = [];
  if (!givenBrokers) missing.push('kafka');
  if (!givenRegistry) missing.push('registry');
  const stdout = await runStackScript(['up', ...missing, '--json'], UP_TIMEOUT_MS, (line) => {
    log(line);
  });
  const up = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { started: Component[]; kafkaBrokers: string | null; registryUrl: string | null };
  const stackBrokers = givenBrokers ?? (up.kafkaBrokers === null ? undefined : [up.kafkaBrokers]);
  const stackRegistry = givenRegistry ?? up.registryUrl ?? undefined;
  if (stackBrokers === undefined || stackRegistry === undefined) throw new Error(`scripts/stack.js up reported no ${stackBrokers === undefined ? 'Kafka brokers' : 'registry URL'}: ${stdout.trim()}`);
  return { brokers: stackBrokers, registryUrl: stackRegistry, started: up.started, kafkaPid: givenBrokers ? undefined : localKafkaPid() };
}

/** Stops what ensureBenchStack started, and nothing else. */
export async function releaseBenchStack(stack: BenchStack, log: (line: string) => void): Promise<void> {
  if (stack.started.length === 0) return;
  await runStackScript(['down', ...stack.started], DOWN_TIMEOUT_MS, log);
}

/** CPU milliseconds (user + system) a process has used so far, from /proc; undefined where unreadable. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may hold spaces): utime is the 14th field, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    // USER_HZ is 100 on every Linux this runs on; /proc reports in those ticks.
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}
