import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AlertEngine } from '../../../src/alerts/engine.js';
import { alertsSchema } from '../../../src/alerts/rules-schema.js';
import { DEFAULT_IP_FIELDS } from '../../../src/config/schema.js';
import { Enricher } from '../../../src/enrich/enricher.js';
import { enrichFiles, formatSummary } from '../../../src/file-mode/enrich-files.js';
import { Progress } from '../../../src/file-mode/progress.js';
import { indexOf, sourceOf } from '../../helpers/build-index.js';
import { tempDir } from '../../helpers/temp-dir.js';

const index = indexOf([
  sourceOf('sample', [
    ['2.56.188.34', { is_proxy: true, is_residential_proxy: true, is_vpn: true, is_known_attacker: true, is_cloud_provider: true }],
    ['185.220.101.0/24', { is_tor: true }],
  ]),
]);
const extraction = { ip_fields: [...DEFAULT_IP_FIELDS], xff_field: 'x_forwarded_for', trusted_proxies: [] };

function setup(): { dir: string; enricher: Enricher; alerts: AlertEngine } {
  return {
    dir: tempDir('iprisk-enrich-'),
    enricher: new Enricher({ index: { current: index }, extraction }),
    alerts: new AlertEngine(alertsSchema.parse({}), { clock: () => 0 }),
  };
}

const quiet = new Progress(process.stderr, false);

function jsonl(file: string): Record<string, unknown>[] {
  const text = file.endsWith('.gz') ? gunzipSync(readFileSync(file)).toString('utf8') : readFileSync(file, 'utf8');
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('enriching JSONL files', () => {
  it('writes one line per decodable input line, in order, with every input field kept', async () => {
    const { dir, enricher, alerts } = setup();
    const input = path.join(dir, 'in.jsonl');
    writeFileSync(
      input,
      [
        '{"client_ip":"2.56.188.34","request_id":"a","nested":{"k":[1,2]}}',
        'not json',
        '',
        '[1,2]',
        '{"ip":"185.220.101.9","user":"u","action":"login","outcome":"failure","request_id":"b","security":"overwritten"}',
        '{}',
      ].join('\n'),
    );
    const output = path.join(dir, 'out.jsonl');
    const rejects = path.join(dir, 'rejects.jsonl');
    const summary = await enrichFiles({
      inputs: [input], output, rejectsOutput: rejects, batchSize: 2, enricher, alerts, progress: quiet,
    });
    const out = jsonl(output);
    expect(out.map((o) => o.request_id ?? null)).toEqual(['a', 'b', null]);
    expect(out[0]?.nested).toEqual({ k: [1, 2] });
    expect((out[1]?.security as Record<string, unknown>).is_tor).toBe(true);
    expect((out[2]?.enrichment as Record<string, unknown>).source).toBe('invalid');
    const rejected = jsonl(rejects);
    expect(rejected.map((r) => [r.line, r.raw])).toEqual([[2, 'not json'], [4, '[1,2]']]);
    expect(String(rejected[0]?.reason)).toMatch(/^invalid JSON/);
    expect(String(rejected[1]?.reason)).toBe('not a JSON object: array');
    expect(summary).toMatchObject({ lines: 5, events: 3, rejected: 2 });
    expect(summary.bySource).toMatchObject({ index: 2, invalid: 1 });
  });

  it('keeps the text of each input line for its fields: spacing, number formatting and key order as they came', async () => {
    const { dir, enricher, alerts } = setup();
    const input = path.join(dir, 'raw.jsonl');
    writeFileSync(input, '  { "z" : 1.50, "client_ip":"185.220.101.1", "a": [ 1 ,2 ] }  \n{ }\n{"client_ip":"8.8.8.8","security":{"stale":true}}\n');
    const output = path.join(dir, 'raw-out.jsonl');
    await enrichFiles({ inputs: [input], output, batchSize: 10, enricher, alerts, progress: quiet });
    const lines = readFileSync(output, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^\{ "z" : 1\.50, "client_ip":"185\.220\.101\.1", "a": \[ 1 ,2 \] ,"security":\{/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ z: 1.5, a: [1, 2], security: { is_tor: true } });
    expect(JSON.parse(lines[1]!)).toMatchObject({ enrichment: { source: 'invalid' } });
    // A field named like an output is replaced, never written twice.
    expect(lines[2]!.match(/"security":/g)).toHaveLength(1);
    expect(JSON.parse(lines[2]!)).toMatchObject({ security: { threat_score: 0 }, enrichment: { source: 'none' } });
  });

  it('reads and writes gzip', async () => {
    const { dir, enricher, alerts } = setup();
    const input = path.join(dir, 'in.log');
    writeFileSync(input, gzipSync('{"client_ip":"185.220.101.1"}\n{"client_ip":"8.8.8.8"}\n'));
    const output = path.join(dir, 'out.jsonl.gz');
    await enrichFiles({ inputs: [input], output, batchSize: 100, enricher, alerts, progress: quiet });
    expect(jsonl(output).map((o) => (o.enrichment as Record<string, unknown>).source)).toEqual(['index', 'none']);
  });

  it('reads stdin and writes stdout when no files are named', async () => {
    const { enricher, alerts } = setup();
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    await enrichFiles({
      inputs: [], stdin: Readable.from(['{"client_ip":"185.220.101.1"}\n']), stdout, batchSize: 10, enricher, alerts, progress: quiet,
    });
    const line = JSON.parse(Buffer.concat(chunks).toString()) as { enrichment: { source: string } };
    expect(line.enrichment.source).toBe('index');
  });

  it('writes alerts with the file and line as provenance, and counts them', async () => {
    const { dir, enricher, alerts } = setup();
    const input = path.join(dir, 'auth.jsonl');
    writeFileSync(input, '{"ip":"185.220.101.9","user":"u","action":"login","outcome":"failure","timestamp":"2026-01-01T00:00:00Z"}\n');
    const alertsFile = path.join(dir, 'alerts.jsonl');
    const summary = await enrichFiles({
      inputs: [input], output: path.join(dir, 'o.jsonl'), alertsOutput: alertsFile, batchSize: 10, enricher, alerts, progress: quiet,
    });
    const written = jsonl(alertsFile);
    expect(written.map((a) => a.rule).sort()).toEqual(['auth-failure-from-anonymous-ip', 'tor-exit-auth']);
    expect(written[0]?.source).toEqual({ topic: input, partition: 0, offset: '1' });
    expect(written[0]?.event_time).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(summary.alerts).toBe(2);
    expect(formatSummary(summary)).toContain('alerts: 2');
  });

  it('fails with the file named when an input cannot be read', async () => {
    const { enricher, alerts } = setup();
    await expect(
      enrichFiles({ inputs: ['/nonexistent/in.jsonl'], output: path.join(setup().dir, 'o'), batchSize: 1, enricher, alerts, progress: quiet }),
    ).rejects.toThrow('/nonexistent/in.jsonl');
  });
});
