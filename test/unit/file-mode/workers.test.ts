import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AlertEngine } from '../../../src/alerts/engine.js';
import { sampleIndex } from '../../../src/cli/open-index.js';
import type { IndexSpec } from '../../../src/cli/open-index.js';
import { loadConfig } from '../../../src/config/load.js';
import { Enricher } from '../../../src/enrich/enricher.js';
import type { EnrichFilesOptions, EnrichFilesSummary } from '../../../src/file-mode/enrich-files.js';
import { enrichFiles } from '../../../src/file-mode/enrich-files.js';
import { Progress } from '../../../src/file-mode/progress.js';
import { WorkerPool } from '../../../src/file-mode/worker-pool.js';
import type { EnrichWorkerSetup } from '../../../src/file-mode/worker-setup.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/temp-dir.js';

/**
 * `iprisk enrich --workers N` against the same run on the main thread, with the bundled sample
 * index: the outputs, alerts (suppression included), rejects and counts must be the same, byte
 * for byte apart from enriched_at. Worker threads run the compiled dist/ (npm test builds it).
 */

const config = loadConfig(undefined, {}).config;
const SAMPLE: IndexSpec = { kind: 'sample' };
const quiet = new Progress(process.stderr, false);
/** Small chunks and batches, so a few hundred KiB make many of each. */
const CHUNK_BYTES = 16 * 1024;
const BATCH = 37;

/** Addresses of the sample index (2.56.188.34 scores 80, 185.220.101.0/24 is Tor), others, junk. */
const IPS = ['2.56.188.34', '185.220.101.9', '185.220.101.77', '152.58.153.65', '1.1.1.1', '8.8.8.8', '10.1.2.3', '[2606:4700::1111]:443', '::ffff:2.56.188.34', '-', 'not-an-ip'];

/** A generated log: access and auth events, repeats close together (suppression), rejects, blank lines. */
function generatedLog(lines: number): string {
  const out: string[] = [];
  let t = Date.parse('2026-03-02T10:00:00Z');
  for (let i = 0; i < lines; i++) {
    t += (i * 7919) % 97_000;
    const ip = IPS[(i * 31 + (i >> 3)) % IPS.length]!;
    if (i % 97 === 13) out.push('{"broken": ');
    else if (i % 89 === 5) out.push('');
    else if (i % 151 === 7) out.push('[1,2,3]');
    else if (i % 2 === 0) out.push(JSON.stringify({ timestamp: new Date(t).toISOString(), client_ip: ip, method: 'GET', path: `/p/${i}`, status: 200, note: 'ünïcödé ✓' }));
    else out.push(JSON.stringify({ '@timestamp': t, ip, user: `u${i % 5}`, action: 'login', outcome: i % 3 === 0 ? 'failure' : 'success', n: i }));
  }
  return `${out.join('\r\n')}\n`;
}

interface Run {
  output: string;
  alerts: string;
  rejects: string;
  summary: EnrichFilesSummary;
}

async function run(workers: number, inputs: string[], extra: Partial<EnrichFilesOptions> = {}, gzipOut = false): Promise<Run> {
  const dir = tempDir('iprisk-workers-');
  const output = path.join(dir, gzipOut ? 'out.jsonl.gz' : 'out.jsonl');
  const alertsOutput = path.join(dir, 'alerts.jsonl');
  const rejectsOutput = path.join(dir, 'rejects.jsonl');
  const enrichment =
    workers === 1
      ? { enricher: new Enricher({ index: { current: await sampleIndex() }, extraction: config.enrich }) }
      : { workers: { count: workers, index: SAMPLE, config } };
  const summary = await enrichFiles({
    inputs,
    output,
    alertsOutput,
    rejectsOutput,
    batchSize: BATCH,
    chunkBytes: CHUNK_BYTES,
    alerts: new AlertEngine(config.alerts, { clock: () => 0 }),
    progress: quiet,
    ...enrichment,
    ...extra,
  });
  const raw = readFileSync(output);
  return {
    output: (gzipOut ? gunzipSync(raw) : raw).toString('utf8'),
    alerts: readFileSync(alertsOutput, 'utf8'),
    rejects: readFileSync(rejectsOutput, 'utf8'),
    summary,
  };
}

const withoutTime = (text: string): string => text.replace(/"enriched_at":\d+/g, '"enriched_at":0');

function expectSameRun(a: Run, b: Run): void {
  expect(withoutTime(b.output)).toBe(withoutTime(a.output));
  expect(b.alerts).toBe(a.alerts);
  expect(b.rejects).toBe(a.rejects);
  expect({ ...b.summary, elapsedMs: 0 }).toEqual({ ...a.summary, elapsedMs: 0 });
}

function inputFiles(): { plain: string; second: string; gz: string } {
  const dir = tempDir('iprisk-workers-in-');
  const plain = path.join(dir, 'access.jsonl');
  const second = path.join(dir, 'second.jsonl');
  const gz = path.join(dir, 'events.gz');
  writeFileSync(plain, generatedLog(4000));
  // No newline at the end of the last line.
  writeFileSync(second, generatedLog(700).trimEnd());
  writeFileSync(gz, gzipSync(generatedLog(3000)));
  return { plain, second, gz };
}

describe('enriching files in worker threads', () => {
  const files = inputFiles();

  it('writes with 2 and 3 workers what one thread writes: output, alerts, rejects and counts', async () => {
    const inputs = [files.plain, files.second];
    const one = await run(1, inputs);
    // The generated log exercises every part: many chunks, rejects, and alerts both emitted and suppressed.
    expect(one.summary.events).toBeGreaterThan(4000);
    expect(one.summary.rejected).toBeGreaterThan(40);
    expect(one.summary.alerts).toBeGreaterThan(10);
    expect(one.summary.suppressed).toBeGreaterThan(10);
    expect(Object.keys(one.summary.alertsByRule).sort()).toEqual(['auth-failure-from-anonymous-ip', 'high-threat-score', 'tor-exit-auth']);
    expect(readFileSync(files.plain).length / CHUNK_BYTES).toBeGreaterThan(20);
    // Rejects name their file and line, counted through every chunk: check one against the input.
    const firstReject = JSON.parse(one.rejects.split('\n')[0]!) as { file: string; line: number; raw: string };
    expect(firstReject.file).toBe(files.plain);
    expect(readFileSync(files.plain, 'utf8').split('\r\n')[firstReject.line - 1]).toBe(firstReject.raw);
    const lastReject = JSON.parse(one.rejects.trimEnd().split('\n').at(-1)!) as { file: string; line: number; raw: string };
    expect(lastReject.file).toBe(files.second);
    expect(readFileSync(files.second, 'utf8').split('\r\n')[lastReject.line - 1]).toBe(lastReject.raw);

    expectSameRun(one, await run(2, inputs));
    expectSameRun(one, await run(3, inputs));
  });

  it('reads gzip and writes gzip the same with workers', async () => {
    const one = await run(1, [files.gz], {}, true);
    expect(one.summary.events).toBeGreaterThan(2500);
    expectSameRun(one, await run(2, [files.gz], {}, true));
  });

  it('reads stdin the same with workers', async () => {
    const text = readFileSync(files.plain);
    const stdin = (): Readable => Readable.from([text.subarray(0, 100_001), text.subarray(100_001)]);
    const one = await run(1, [], { stdin: stdin() });
    expectSameRun(one, await run(3, [], { stdin: stdin() }));
    expect(one.rejects).toContain('"file":"stdin"');
  });

  it('fails with the worker\'s reason when the workers cannot open their index', async () => {
    const missing = path.join(tmpdir(), 'iprisk-no-such-snapshot.snap');
    await expect(run(2, [files.plain], { workers: { count: 2, index: { kind: 'snapshot', path: missing }, config } })).rejects.toThrow(
      new RegExp(`enrich worker \\d failed: .*${missing.replace(/[.]/g, '\\.')}`),
    );
  });
});

describe('the worker pool', () => {
  const script = path.join(REPO_ROOT, 'test', 'fixtures', 'file-mode', 'failing-worker.mjs');
  // The fixture reads only `how` from its worker data.
  const setup = (how: string): EnrichWorkerSetup => ({ how }) as unknown as EnrichWorkerSetup;

  it.each([
    ['throws', 'throw', /enrich worker 1 failed: the second chunk broke it/],
    ['exits', 'exit', /enrich worker 1 exited \(code 3\) with 1 chunk\(s\) in hand/],
  ])('rejects every chunk a worker holds, and later ones, when it %s', async (_, how, reason) => {
    const pool = await WorkerPool.start(1, setup(how), script);
    try {
      await expect(pool.run(Buffer.from('{}\n'))).resolves.toMatchObject({ lineCount: 0 });
      await expect(pool.run(Buffer.from('{}\n'))).rejects.toThrow(reason);
      await expect(pool.run(Buffer.from('{}\n'))).rejects.toThrow(reason);
    } finally {
      await pool.close();
    }
  });
});
