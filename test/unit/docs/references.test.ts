import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SECRET_TYPE, configOptions, envName, renderConfigReference } from '../../../src/config/reference.js';
import { parseConfig } from '../../../src/config/load.js';
import { configSchema } from '../../../src/config/schema.js';
import { GENERATED_DOCS, REGENERATE_COMMAND, writeReferences } from '../../../src/docs/references.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { metricDocs, renderMetricsReference } from '../../../src/telemetry/metrics-reference.js';
import { REPO_ROOT } from '../../helpers/paths.js';

/** The table row of a key or metric: the line that opens with it in backquotes. */
function rowOf(doc: string, name: string): string | undefined {
  return doc.split('\n').find((line) => line.startsWith(`| \`${name}\``));
}

/** The value at a dot path of a parsed configuration. */
function valueAt(tree: unknown, dotPath: string): unknown {
  let node: unknown = tree;
  for (const key of dotPath.split('.')) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

describe('generated operator docs', () => {
  it.each(GENERATED_DOCS.map((d) => [d.file, d] as const))('%s on disk is what its generator renders', (file, doc) => {
    const onDisk = path.join(REPO_ROOT, file);
    const committed = existsSync(onDisk) ? readFileSync(onDisk, 'utf8') : '';
    expect(committed, `${file} is out of date with the code: run \`${REGENERATE_COMMAND}\` and commit the result`).toBe(doc.render());
  });

  it('check mode names the stale files and writes nothing; a write brings them up to date', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'iprisk-docs-'));
    try {
      mkdirSync(path.join(root, 'docs'));
      writeFileSync(path.join(root, 'docs', 'metrics.md'), '# an old metrics page\n');
      expect(writeReferences({ root, check: true })).toEqual(['docs/configuration.md', 'docs/metrics.md']);
      expect(existsSync(path.join(root, 'docs', 'configuration.md'))).toBe(false);
      expect(readFileSync(path.join(root, 'docs', 'metrics.md'), 'utf8')).toBe('# an old metrics page\n');

      expect(writeReferences({ root })).toEqual(['docs/configuration.md', 'docs/metrics.md']);
      expect(writeReferences({ root, check: true })).toEqual([]);
      expect(readFileSync(path.join(root, 'docs', 'configuration.md'), 'utf8')).toBe(renderConfigReference());
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('configuration reference', () => {
  const doc = renderConfigReference();
  const options = configOptions();

  it('gives every top-level section a heading of its own', () => {
    for (const section of Object.keys(configSchema.shape)) expect(doc).toContain(`\n### ${section}\n`);
  });

  it('lists every key of the schema in a table row, list elements included', () => {
    const rows = options.filter((o) => !(o.type === 'section' && !o.path.includes('.'))).map((o) => o.path);
    expect(rows).toContain('sources[].meaning');
    expect(rows).toContain('alerts.rules[].when[].gte');
    expect(rows).toContain('remote.providers[].breaker.open_ms');
    for (const key of rows) expect(rowOf(doc, key), key).toBeDefined();
  });

  it('shows the default the schema applies, and the environment variable that overrides the key', () => {
    const defaults = parseConfig({}, 'test');
    const row = rowOf(doc, 'kafka.session_timeout_ms');
    expect(row).toContain(`\`${defaults.kafka.session_timeout_ms}\``);
    expect(row).toContain('`IPRISK_KAFKA__SESSION_TIMEOUT_MS`');
    expect(row).toContain('6000 to 300000');
    expect(rowOf(doc, 'kafka.start_from')).toContain('`latest`, `earliest`');
    expect(rowOf(doc, 'schema_registry.url')).toContain('**required**');
    expect(rowOf(doc, 'index.path')).toContain('unset');
  });

  it('prints a long default in full below the tables', () => {
    expect(rowOf(doc, 'alerts.rules')).toContain('(#default-alerts-rules)');
    const below = doc.slice(doc.indexOf('<a id="default-alerts-rules"></a>'));
    for (const rule of parseConfig({}, 'test').alerts.rules) expect(below).toContain(`id: ${rule.id}`);
  });

  it('shows the inline, {env} and {file} forms of every secret key, and lists the secret keys', () => {
    const secrets = options.filter((o) => o.secret).map((o) => o.path);
    expect(secrets).toEqual(expect.arrayContaining(['kafka.sasl.password', 'schema_registry.password', 'kafka.tls.key_password']));
    for (const key of secrets) {
      expect(rowOf(doc, key), key).toContain(SECRET_TYPE.replace(/\|/g, '\\|'));
      expect(doc).toContain(`Secret keys: `);
      expect(doc.slice(doc.indexOf('Secret keys: ')).split('\n')[0]).toContain(`\`${key}\``);
    }
    expect(SECRET_TYPE).toContain('{env: NAME}');
    expect(SECRET_TYPE).toContain('{file: PATH}');
    expect(rowOf(doc, 'kafka.sasl.username')).not.toContain('{env: NAME}');
  });

  it('names each environment variable so that the loader applies it to that key', () => {
    // Flip every boolean and step every integer through the variable the reference names:
    // a name the loader read differently would leave the default in place.
    const base = { schema_registry: { url: 'http://registry.test:8081' } };
    let checked = 0;
    for (const o of options) {
      const name = envName(o.path);
      if (name === undefined || o.container || !o.hasDefault) continue;
      let value: unknown;
      if (o.type === 'boolean') value = o.defaultValue !== true;
      else if (o.type === 'integer' && typeof o.defaultValue === 'number') value = o.defaultValue + 1;
      else continue;
      const config = parseConfig(base, 'test', { [name]: String(value) });
      expect(valueAt(config, o.path), `${name} sets ${o.path}`).toBe(value);
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
    expect(envName('inputs[].topic')).toBeUndefined();
  });
});

describe('metrics reference', () => {
  const doc = renderMetricsReference();

  it('lists every metric of the registry with its type, labels and buckets', () => {
    const { registry } = createMetrics({ defaultMetrics: false });
    const names = registry.getMetricsAsArray().map((m) => m.name);
    expect(names.length).toBeGreaterThan(20);
    expect(metricDocs().map((m) => m.name)).toEqual(names);
    for (const m of metricDocs()) {
      const row = rowOf(doc, m.name);
      expect(row, m.name).toBeDefined();
      expect(row).toContain(`| ${m.type} |`);
      for (const label of m.labels) expect(row, `${m.name} label ${label}`).toContain(`\`${label}\``);
      if (m.type === 'histogram') expect(row).toContain(`Buckets: ${m.buckets.join(', ')}.`);
    }
  });

  it('reads labels and buckets from the metric definitions themselves', () => {
    const byName = new Map(metricDocs().map((m) => [m.name, m]));
    expect(byName.get('iprisk_consumer_lag_records')?.labels).toEqual(['topic', 'partition']);
    expect(byName.get('iprisk_alerts_emitted_total')?.labels).toEqual(['rule', 'severity']);
    expect(byName.get('iprisk_http_bulk_ips')?.buckets).toEqual([1, 10, 100, 1000, 10000, 50000]);
    expect(byName.get('iprisk_events_consumed_total')?.buckets).toEqual([]);
  });

  it('groups metrics by area under headings', () => {
    expect(doc).toContain('\n## Index\n');
    expect(doc.indexOf('`iprisk_index_ranges`')).toBeGreaterThan(doc.indexOf('\n## Index\n'));
    expect(doc.indexOf('`iprisk_remote_requests_total`')).toBeGreaterThan(doc.indexOf('\n## Remote fallback and cache\n'));
  });
});
