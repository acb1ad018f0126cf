import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ConfigError, IpriskError, errorMessage } from '../errors.js';
import type { IpriskConfig } from './schema.js';
import { configSchema } from './schema.js';

export const ENV_PREFIX = 'IPRISK_';

/** IPRISK_* variables with a meaning of their own, never read as config overrides. */
export const RESERVED_ENV = new Set([`${ENV_PREFIX}CONFIG`, `${ENV_PREFIX}LOG_LEVEL`, `${ENV_PREFIX}API_KEYS`]);

/** A validated configuration and where it came from. Frozen: stages read it, never change it. */
export interface LoadedConfig {
  readonly config: Readonly<IpriskConfig>;
  /** The file read, or undefined when built from defaults and the environment alone. */
  readonly file: string | undefined;
  /** Relative paths in the config resolve against this folder. */
  readonly baseDir: string;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** `a.b.0.c: message` for every issue, so one run names every problem. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}

/**
 * `IPRISK_INDEX__PATH=/data/index.snap` sets `index.path`: the name after the prefix, lower
 * cased, with `__` between path segments. The value is read as YAML, so numbers, booleans
 * and `[a, b]` lists keep their types.
 */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, problems: string[]): void {
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined || RESERVED_ENV.has(name)) continue;
    const segments = name.slice(ENV_PREFIX.length).toLowerCase().split('__');
    if (segments.some((s) => s.length === 0)) {
      problems.push(`${name}: environment override names an empty path segment`);
      continue;
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(value);
    } catch {
      parsed = value;
    }
    let node: Record<string, unknown> = raw;
    for (const segment of segments.slice(0, -1)) {
      const next = node[segment];
      if (next === undefined || next === null) node[segment] = {};
      else if (typeof next !== 'object' || Array.isArray(next)) {
        problems.push(`${name}: ${segments.join('.')} crosses a value that is not a section`);
        node = {};
        break;
      }
      node = node[segment] as Record<string, unknown>;
    }
    node[segments.at(-1)!] = parsed;
  }
}

export function parseConfig(raw: unknown, origin: string, env: NodeJS.ProcessEnv = {}): IpriskConfig {
  const problems: string[] = [];
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(origin, ['(root): expected a mapping of sections']);
  const tree = structuredClone(raw) as Record<string, unknown>;
  applyEnvOverrides(tree, env, problems);
  const result = configSchema.safeParse(tree);
  if (!result.success) problems.push(...formatIssues(result.error.issues));
  if (problems.length > 0 || !result.success) throw new ConfigError(origin, problems);
  return result.data;
}

/**
 * Reads, validates and freezes the configuration. `file` absent: `IPRISK_CONFIG`, else
 * defaults. Every problem is listed by path in one ConfigError.
 */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const chosen = file ?? env[`${ENV_PREFIX}CONFIG`];
  if (chosen === undefined || chosen === '') {
    return { config: deepFreeze(parseConfig({}, 'defaults', env)), file: undefined, baseDir: process.cwd() };
  }
  const resolved = path.resolve(chosen);
  let text: string;
  try {
    text = readFileSync(resolved, 'utf8');
  } catch (err) {
    throw new IpriskError('CONFIG_UNREADABLE', `cannot read configuration ${resolved}: ${errorMessage(err)}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` line ${err.linePos[0].line}` : '';
    throw new ConfigError(resolved, [`(yaml${where}): ${errorMessage(err)}`]);
  }
  return { config: deepFreeze(parseConfig(raw, resolved, env)), file: resolved, baseDir: path.dirname(resolved) };
}

export function resolvePath(loaded: Pick<LoadedConfig, 'baseDir'>, relative: string): string {
  return path.resolve(loaded.baseDir, relative);
}
