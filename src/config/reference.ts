import { stringify as toYaml } from 'yaml';
import { z } from 'zod';
import { ENV_PREFIX, RESERVED_ENV } from './load.js';
import { configSchema } from './schema.js';

/**
 * The configuration reference (docs/configuration.md), rendered from the one config schema so
 * that it cannot disagree with validation: every key, its type, default, allowed values and the
 * description the schema carries (`.describe()`).
 */

/** One key of the configuration, as the reference lists it. */
export interface OptionDoc {
  /** Dot path; `[]` marks the elements of a list, e.g. `sources[].name`. */
  readonly path: string;
  /** The top-level section the key belongs to. */
  readonly section: string;
  readonly type: string;
  /** True when the key must be given (inside its list element or section). */
  readonly required: boolean;
  /** Whether the schema gives a default; `defaultValue` holds it. */
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
  /** Allowed values or ranges, in words; empty when the type says it all. */
  readonly allowed: string;
  readonly description: string;
  /** A secret: inline, `{env: NAME}` or `{file: PATH}`. */
  readonly secret: boolean;
  /** A section or list of objects: the keys below it carry the details. */
  readonly container: boolean;
}

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
};

// z.int() is bounded by the safe integers; such a bound is no limit worth printing.
const isRealBound = (n: number | undefined): n is number => n !== undefined && Math.abs(n) < Number.MAX_SAFE_INTEGER;

function isSecret(s: JsonSchema): boolean {
  const branches = s.anyOf ?? [];
  const keys = branches.map((b) => (b.type === 'object' ? Object.keys(b.properties ?? {}).join(',') : b.type));
  return branches.length === 3 && keys.includes('string') && keys.includes('env') && keys.includes('file');
}

/** The type cell of a secret key: its three accepted forms. */
export const SECRET_TYPE = 'secret: a string, `{env: NAME}` or `{file: PATH}`';

function typeOf(s: JsonSchema): string {
  if (isSecret(s)) return SECRET_TYPE;
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.enum) return 'enum';
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'string' && s.format === 'uri') return 'URL';
  if (s.type === 'object') return s.properties ? 'section' : 'object';
  return s.type ?? 'any';
}

function allowedOf(s: JsonSchema): string {
  const parts: string[] = [];
  if (s.enum) parts.push(s.enum.map((v) => `\`${String(v)}\``).join(', '));
  const min = isRealBound(s.minimum) ? s.minimum : undefined;
  const max = isRealBound(s.maximum) ? s.maximum : undefined;
  if (min !== undefined && max !== undefined) parts.push(`${min} to ${max}`);
  else if (min !== undefined) parts.push(`≥ ${min}`);
  else if (max !== undefined) parts.push(`≤ ${max}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  if (s.minLength !== undefined && s.minLength > 1) parts.push(`at least ${s.minLength} characters`);
  if (s.maxLength !== undefined) parts.push(`at most ${s.maxLength} characters`);
  if (s.pattern !== undefined) parts.push(`matches \`${s.pattern}\``);
  if (s.type === 'array') {
    if (s.minItems !== undefined && s.minItems > 0) parts.push(`at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
    if (s.maxItems !== undefined) parts.push(`at most ${s.maxItems} items`);
    const inner = s.items && s.items.type !== 'object' ? allowedOf(s.items) : '';
    if (inner !== '') parts.push(`each ${inner}`);
  }
  if (s.type === 'string' && s.format === 'uri') parts.push('an absolute URL');
  return parts.join('; ');
}

/** The JSON Schema of the input side (what a file may say), and of the output side for defaults. */
function jsonSchemas(schema: z.ZodType): { input: JsonSchema; output: JsonSchema } {
  // unrepresentable 'any': refinements and preprocessors have no JSON Schema form; the
  // validation they do is stated in the descriptions instead.
  const input = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const output = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
  return { input, output };
}

/** Every key of the configuration, sections before the keys inside them, in schema order. */
export function configOptions(schema: z.ZodType = configSchema): OptionDoc[] {
  const { input, output } = jsonSchemas(schema);
  const options: OptionDoc[] = [];
  const walk = (node: JsonSchema, out: JsonSchema | undefined, prefix: string): void => {
    const required = new Set(node.required ?? []);
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      const childOut = out?.properties?.[key];
      // A default over a preprocessing step (serve.api_keys) shows on the output side only.
      const def = 'default' in child ? child.default : childOut?.default;
      const hasDefault = 'default' in child || (childOut !== undefined && 'default' in childOut);
      const listOfObjects = child.type === 'array' && child.items?.type === 'object';
      const container = child.type === 'object' || listOfObjects;
      options.push({
        path,
        section: path.split(/[.[]/)[0]!,
        type: listOfObjects ? 'list of sections' : typeOf(child),
        required: required.has(key) && !hasDefault,
        // A section's default is `{}`: its keys' own defaults are what apply.
        hasDefault: hasDefault && !(child.type === 'object'),
        defaultValue: child.type === 'object' ? undefined : def,
        allowed: listOfObjects ? allowedOf({ ...child, items: undefined }) : allowedOf(child),
        description: child.description ?? '',
        secret: isSecret(child),
        container,
      });
      if (child.type === 'object') walk(child, childOut, path);
      else if (listOfObjects && child.items) walk(child.items, childOut?.items, `${path}[]`);
    }
  };
  walk(input, output, '');
  return options;
}

/** A markdown table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/(?<!\\)\|/g, '\\|');
}

const INLINE_DEFAULT_MAX = 60;

function defaultCell(o: OptionDoc): string {
  if (o.container && o.type === 'section') return '';
  if (o.hasDefault) {
    const json = JSON.stringify(o.defaultValue);
    return json.length <= INLINE_DEFAULT_MAX ? `\`${json}\`` : `[below](#default-${anchor(o.path)})`;
  }
  return o.required ? '**required**' : 'unset';
}

function anchor(path: string): string {
  return path.replace(/[^a-z0-9_-]+/gi, '-').toLowerCase();
}

/** `kafka.session_timeout_ms` -> `IPRISK_KAFKA__SESSION_TIMEOUT_MS`; list elements have none. */
export function envName(path: string): string | undefined {
  if (path.includes('[]')) return undefined;
  return `${ENV_PREFIX}${path.split('.').join('__').toUpperCase()}`;
}

export function renderConfigReference(schema: z.ZodType = configSchema): string {
  const options = configOptions(schema);
  const top = options.filter((o) => !o.path.includes('.') && !o.path.includes('['));
  const secrets = options.filter((o) => o.secret);
  const lines: string[] = [];
  const push = (...more: string[]): void => {
    lines.push(...more);
  };
  push(
    '# Configuration reference',
    '',
    '<!-- Generated from the config schema (src/config/schema.ts) by `npm run docs`. Do not edit by hand: a test fails when this file and the schema disagree. -->',
    '',
    'iprisk reads one YAML file, given with `-c FILE` or `$IPRISK_CONFIG`; without one, every default applies.',
    'Every command reads the same file and uses the sections it needs. The file is validated once at start:',
    'unknown keys are rejected, and an invalid file stops the start with every problem listed by path',
    '(`kafka.session_timeout_ms: Too small: expected number to be >=6000`). The validated configuration is',
    'frozen; nothing changes it while the process runs. Relative paths resolve against the folder of the',
    'config file. Units are in the names: `_ms` milliseconds, `_secs` seconds, `_bytes` bytes.',
    '',
    `Sections: ${top.map((o) => `[\`${o.path}\`](#${anchor(o.path)})`).join(', ')}.`,
    '',
    '## Environment overrides',
    '',
    `Any key outside a list can be set with an environment variable: \`${ENV_PREFIX}\`, then the key's path`,
    'in upper case with `__` between path segments. The value is read as YAML, so numbers, booleans and',
    '`[a, b]` lists keep their types; a value that is not valid YAML is taken as a string. Variables win over',
    'the file, and are validated with it.',
    '',
    '```sh',
    'IPRISK_INDEX__PATH=/var/lib/iprisk/index.snap        # index.path',
    'IPRISK_KAFKA__BROKERS="[kafka-0:9092, kafka-1:9092]"  # kafka.brokers, a list',
    'IPRISK_KAFKA__EXACTLY_ONCE=true                       # kafka.exactly_once, a boolean',
    'IPRISK_HTTP__HOST=0.0.0.0                             # http.host',
    'IPRISK_INPUTS="[{topic: access-logs, kind: access}]"  # a whole list, as YAML flow',
    '```',
    '',
    'A single element of a list (a source, an input, a provider, a rule) cannot be set on its own: set the',
    'whole list, or keep it in the file. A variable that names no key (`IPRISK_KAFKA__GROUPID`) is rejected',
    'like an unknown key in the file, and so is one whose path crosses a key that is not a section. These',
    `variables have meanings of their own and are never read as overrides: ${[...RESERVED_ENV]
      .map((n) => `\`${n}\``)
      .join(', ')}`,
    '(the config file, the log level, and the API keys of `serve`, comma-separated).',
    '',
    '## Secrets',
    '',
    'Keys that take a secret accept three forms. They are resolved once at start, and the value is never logged:',
    '',
    '```yaml',
    'password: s3cret                                   # inline: avoid, config files leak',
    'password: { env: KAFKA_PASSWORD }                  # an environment variable, which must be set and non-empty',
    'password: { file: /run/secrets/kafka-password }    # a file (relative to the config file), whitespace trimmed',
    '```',
    '',
    `Secret keys: ${secrets.map((o) => `\`${o.path}\``).join(', ')}.`,
    'The API keys of remote providers are given one way each: `api_key`, `api_key_env` (a variable name) or',
    '`api_key_file`. The API keys `serve` accepts come from `serve.api_keys`, `serve.api_keys_file`,',
    '`$IPRISK_API_KEYS` or `--api-key`. In Kubernetes, mount a Secret as files or environment variables and',
    'name them here; never put a secret in the ConfigMap.',
    '',
    '## Keys',
    '',
    'Each key is listed with the environment variable that overrides it. "Default" is what applies when the',
    'key is absent; "unset" means the key is optional and has no value unless given; **required** keys must',
    'be given whenever their section or list element is.',
  );
  const longDefaults: OptionDoc[] = [];
  for (const section of top) {
    push('', `### ${section.path}`, '', section.description, '');
    push('| Key | Type | Default | Allowed | Description |', '| --- | --- | --- | --- | --- |');
    for (const o of options) {
      if (o.section !== section.path) continue;
      // A section's own row would only repeat the heading above the table.
      if (o.path === section.path && o.type === 'section') continue;
      const def = defaultCell(o);
      if (def.startsWith('[below]')) longDefaults.push(o);
      // The variable sits under the key so it can be copied; list elements have none.
      const name = envName(o.path);
      const key = name === undefined ? `\`${o.path}\`` : `\`${o.path}\`<br>\`${name}\``;
      const description = o.description !== '' ? o.description : o.container ? 'The keys below.' : '';
      push(`| ${key} | ${cell(o.type)} | ${cell(def)} | ${cell(o.allowed)} | ${cell(description)} |`);
    }
  }
  if (longDefaults.length > 0) {
    push('', '## Long defaults');
    for (const o of longDefaults) {
      push('', `<a id="default-${anchor(o.path)}"></a>`, '', `Default of \`${o.path}\`:`, '', '```yaml', toYaml({ [o.path.split('.').at(-1)!]: o.defaultValue }).trimEnd(), '```');
    }
  }
  return `${lines.join('\n')}\n`;
}
