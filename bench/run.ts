/**
 * `npm run bench` (`--quick` for a short run): iprisk against baselines measured in the same run.
 * What each figure means: bench/README.md.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CompiledRangeIndex } from '../src/range-index/range-index.js';
import { writeSnapshot } from '../src/range-index/snapshot.js';
import type { SnapshotData } from '../src/range-index/types.js';
import type { FileModeFigures, WorkerFigures } from './file-mode.js';
import { measureFileModeInChild, measureWorkers } from './file-mode.js';
import { writeAccessLog } from './lib/events.js';
import { buildRealIndex, buildSyntheticIndex } from './lib/indexes.js';
import { checksumSink, median, nowMs } from './lib/measure.js';
import type { BuiltMmdb } from './lib/mmdb.js';
import { buildMmdb } from './lib/mmdb.js';
import type { BenchOptions } from './lib/options.js';
import { parseOptions } from './lib/options.js';
import { Prng } from './lib/prng.js';
import type { QueriesV4, QueriesV6 } from './lib/queries.js';
import { queriesV4, queriesV6 } from './lib/queries.js';
import type { Row } from './lib/report.js';
import { aim, count, mib, ms, rate, ratio, table } from './lib/report.js';
import type { Agreement, LookupFigures } from './lookups.js';
import { checkAgreement, measureLookups, openMmdb } from './lookups.js';
import type { SnapshotFigures } from './snapshot.js';
import { measureSnapshot } from './snapshot.js';

const started = nowMs();
const log = (line: string): void => {
  process.stderr.write(`[bench ${((nowMs() - started) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);
};

interface LookupCase {
  label: string;
  ranges: number;
  queries: QueriesV4 | QueriesV6;
  agreement: Agreement;
  figures: LookupFigures;
}

async function lookupCase(
  label: string,
  data: SnapshotData,
  mmdb: BuiltMmdb,
  family: 4 | 6,
  options: BenchOptions,
  seed: number,
): Promise<LookupCase> {
  const index = new CompiledRangeIndex(data);
  const readers = await openMmdb(mmdb);
  const rng = new Prng(seed);
  const queries = family === 4 ? queriesV4(data.v4, options.queries, rng) : queriesV6(data.v6, options.queries, rng);
  const agreement = checkAgreement(index, readers.bare, queries, label);
  log(`${label}: maxmind and iprisk agree on all ${count(agreement.checked)} query addresses (${count(agreement.hits)} hits); timing`);
  const figures = measureLookups(index, readers, queries, options);
  return { label, ranges: family === 4 ? data.stats.rangesV4 : data.stats.rangesV6, queries, agreement, figures };
}

/** Text-in lookups against the maxmind reader: IPv4 at least 5x, IPv6 (longer text, fewer
 * ranges for the reader to walk) at least 3x. */
const TEXT_AIM = { 4: 5, 6: 3 } as const;

function lookupRows(c: LookupCase): Row[] {
  const f = c.figures;
  const v4 = c.queries.family === 4;
  const target = TEXT_AIM[c.queries.family];
  return [
    {
      figure: `${c.label}: text in -> answer`,
      iprisk: rate(f.text.opsPerSec),
      baseline: rate(f.maxmind.opsPerSec),
      ratio: ratio(f.text.opsPerSec / f.maxmind.opsPerSec),
      aim: aim(`>= ${target}x`, f.text.opsPerSec / f.maxmind.opsPerSec, target),
    },
    {
      figure: `${c.label}: text in, baseline new Reader(buf)`,
      iprisk: rate(f.text.opsPerSec),
      baseline: rate(f.maxmindBare.opsPerSec),
      ratio: ratio(f.text.opsPerSec / f.maxmindBare.opsPerSec),
      aim: aim(`>= ${target}x`, f.text.opsPerSec / f.maxmindBare.opsPerSec, target),
    },
    {
      figure: `${c.label}: numeric ${v4 ? 'findV4(uint32)' : 'findV6(words)'}`,
      iprisk: rate(f.numeric.opsPerSec),
      baseline: rate(f.maxmind.opsPerSec),
      ratio: ratio(f.numeric.opsPerSec / f.maxmind.opsPerSec),
      aim: v4 ? aim('>= 5 M/s', f.numeric.opsPerSec, 5e6) : '',
    },
  ];
}

function fileRows(f: FileModeFigures, w: WorkerFigures, workerEvents: number): Row[] {
  return [
    {
      figure: `file mode, ${count(f.events)} events (events/s per core)`,
      iprisk: rate(f.iprisk),
      baseline: rate(f.baseline),
      ratio: `${((100 * f.iprisk) / f.baseline).toFixed(0)}%`,
      aim: aim('>= 60%', f.iprisk / f.baseline, 0.6),
    },
    {
      figure: 'file mode against the JSONL limit (events/s per core)',
      iprisk: rate(f.iprisk),
      baseline: rate(f.limit),
      ratio: ratio(f.iprisk / f.limit),
      aim: aim('>= 0.80x', f.iprisk / f.limit, 0.8),
    },
    {
      figure: `iprisk enrich --workers 2, ${count(workerEvents)} events (wall clock, s)`,
      iprisk: median(w.twoWorkers).toFixed(2),
      baseline: `--workers 1: ${median(w.oneWorker).toFixed(2)}`,
      ratio: ratio(w.speedUp),
      aim: aim('>= 1.6x', w.speedUp, 1.6),
    },
  ];
}

function snapshotRows(s: SnapshotFigures): Row[] {
  const perMillion = 1e6 / s.ranges;
  return [
    {
      figure: 'load time (CPU, median)',
      iprisk: ms(s.iprisk.cpuMs),
      baseline: ms(s.maxmind.cpuMs),
      ratio: ratio(s.iprisk.cpuMs / s.maxmind.cpuMs),
      aim: '',
    },
    {
      figure: 'load time per million ranges',
      iprisk: ms(s.iprisk.cpuMs * perMillion),
      baseline: ms(s.maxmind.cpuMs * perMillion),
      ratio: ratio(s.iprisk.cpuMs / s.maxmind.cpuMs),
      aim: '',
    },
    {
      figure: 'RSS growth per million ranges',
      iprisk: mib(s.iprisk.rssBytes * perMillion),
      baseline: mib(s.maxmind.rssBytes * perMillion),
      ratio: ratio(s.iprisk.rssBytes / s.maxmind.rssBytes),
      aim: '',
    },
    {
      figure: 'file size',
      iprisk: mib(s.snapshotBytes),
      baseline: mib(s.mmdbBytes),
      ratio: ratio(s.snapshotBytes / s.mmdbBytes),
      aim: '',
    },
    {
      figure: 'file size per million ranges',
      iprisk: mib(s.snapshotBytes * perMillion),
      baseline: mib(s.mmdbBytes * perMillion),
      ratio: ratio(s.snapshotBytes / s.mmdbBytes),
      aim: '',
    },
  ];
}

function summary(cases: readonly LookupCase[], file: FileModeFigures, workers: WorkerFigures, snap: SnapshotFigures, options: BenchOptions): string {
  const x = (a: number, b: number): string => ratio(a / b);
  const lines = [
    `| figure (median, per core${options.quick ? ', --quick' : ''}) | iprisk | baseline | iprisk / baseline |`,
    '| --- | ---: | ---: | ---: |',
  ];
  for (const c of cases) {
    const f = c.figures;
    lines.push(
      `| ${c.label} lookups, text in (${count(c.ranges)} ranges) | ${rate(f.text.opsPerSec)} | maxmind.open ${rate(f.maxmind.opsPerSec)} / new Reader ${rate(f.maxmindBare.opsPerSec)} | ${x(f.text.opsPerSec, f.maxmind.opsPerSec)} / ${x(f.text.opsPerSec, f.maxmindBare.opsPerSec)} |`,
      `| ${c.label} lookups, numeric | ${rate(f.numeric.opsPerSec)} | maxmind.open ${rate(f.maxmind.opsPerSec)} | ${x(f.numeric.opsPerSec, f.maxmind.opsPerSec)} |`,
    );
  }
  lines.push(
    `| file mode enrichment (events/s) | ${rate(file.iprisk)} | JSON parse + stringify ${rate(file.baseline)} | ${((100 * file.iprisk) / file.baseline).toFixed(0)}% |`,
    `| file mode enrichment (events/s) | ${rate(file.iprisk)} | JSONL limit ${rate(file.limit)} | ${x(file.iprisk, file.limit)} |`,
    `| iprisk enrich wall clock, --workers 2 (s) | ${median(workers.twoWorkers).toFixed(2)} | --workers 1 ${median(workers.oneWorker).toFixed(2)} | ${ratio(workers.speedUp)} faster |`,
    `| snapshot load, ${count(snap.ranges)} ranges (CPU) | ${ms(snap.iprisk.cpuMs)} | MMDB open ${ms(snap.maxmind.cpuMs)} | ${x(snap.iprisk.cpuMs, snap.maxmind.cpuMs)} |`,
    `| resident memory per million ranges | ${mib((snap.iprisk.rssBytes * 1e6) / snap.ranges)} | MMDB ${mib((snap.maxmind.rssBytes * 1e6) / snap.ranges)} | ${x(snap.iprisk.rssBytes, snap.maxmind.rssBytes)} |`,
    `| file size per million ranges | ${mib((snap.snapshotBytes * 1e6) / snap.ranges)} | MMDB ${mib((snap.mmdbBytes * 1e6) / snap.ranges)} | ${x(snap.snapshotBytes, snap.mmdbBytes)} |`,
  );
  return lines.join('\n');
}

function machine(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `node ${process.version}, ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, load average ${load}`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const startMachine = machine();
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') log('warning: run with node --expose-gc (npm run bench does) so that rounds start from a collected heap');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'iprisk-bench-'));
  try {
    log('building the index from the real feeds in ../shared/data');
    const real = await buildRealIndex();
    log(`real-feed index: ${count(real.data.stats.rangesV4)} IPv4 + ${count(real.data.stats.rangesV6)} IPv6 ranges, ${count(real.data.entries.length)} distinct answers`);
    log(`building the synthetic index (~${count(options.syntheticRanges)} IPv4 ranges)`);
    const synthetic = buildSyntheticIndex(options.syntheticRanges);
    log(`synthetic index: ${count(synthetic.stats.rangesV4)} IPv4 ranges, ${count(synthetic.entries.length)} distinct answers`);

    const mmdbReal = buildMmdb(real.data, 'real-feeds', log);
    const mmdbSynthetic = buildMmdb(synthetic, 'synthetic', log);
    log(`MMDBs: real feeds ${mib(mmdbReal.bytes)}${mmdbReal.cached ? ' (cached)' : ''}, synthetic ${mib(mmdbSynthetic.bytes)}${mmdbSynthetic.cached ? ' (cached)' : ''}`);

    const cases = [
      await lookupCase('real feeds IPv4', real.data, mmdbReal, 4, options, 0x5eed_0004),
      await lookupCase('real feeds IPv6', real.data, mmdbReal, 6, options, 0x5eed_0006),
      await lookupCase('synthetic 1M IPv4', synthetic, mmdbSynthetic, 4, options, 0x5eed_1004),
    ];

    log(`file mode: writing ${count(options.events)} access events`);
    const events = path.join(tmp, 'access.jsonl');
    const bytes = await writeAccessLog(events, options.events, real.data, new Prng(0x5eed_e7e7));
    log(`file mode: ${mib(bytes)} of JSONL; timing the baseline and iprisk alternately`);
    const realSnapshot = path.join(tmp, 'real-feeds.snap');
    await writeSnapshot(realSnapshot, real.data);
    const file = measureFileModeInChild(realSnapshot, events, options.fileRounds);

    // The same events three times over: long enough that starting the workers (each loads the
    // index) is a small part of the run.
    const workerEvents = path.join(tmp, 'access-3x.jsonl');
    const once = readFileSync(events);
    writeFileSync(workerEvents, Buffer.concat([once, once, once]));
    log(`file mode: iprisk enrich --workers 1 and 2 on ${count(3 * file.events)} events, alternately`);
    const workers = measureWorkers(realSnapshot, workerEvents, options.fileRounds);

    log('snapshot: writing the synthetic index and loading it in fresh processes');
    const snap = await measureSnapshot(synthetic, mmdbSynthetic, tmp, options.snapshotLoads);

    const out: string[] = [];
    out.push(`iprisk benchmarks${options.quick ? ' (--quick)' : ''}`);
    out.push(`  ${startMachine}`);
    out.push(`  times are process CPU time (all threads), so rates are per core; each lookup figure is the median of ${options.rounds} rounds of >= ${options.minRoundMs} ms after ${options.warmupMs} ms of warm-up`);
    out.push('');
    const lookupNotes = [
      `queries per set: ${count(options.queries)}, half inside indexed ranges, half uniformly random public addresses (seeded)`,
      'baseline: maxmind.open() on an MMDB of the same ranges and answers (mmdbwriter, record size 28); the 2nd row uses new Reader(buffer), no record cache',
      ...cases.map(
        (c) => `${c.label}: ${count(c.ranges)} ranges; maxmind agrees with iprisk on all ${count(c.agreement.checked)} queries (${count(c.agreement.hits)} hits)`,
      ),
    ];
    out.push(table('1. Lookups per second', cases.flatMap(lookupRows), lookupNotes));
    out.push(
      table('2. Enrichment in file mode', fileRows(file, workers, 3 * file.events), [
        'baseline: the same line reader and output stream, JSON.parse + JSON.stringify of every line',
        'JSONL limit: 1 MiB reads and writes, JSON.parse of every line (checked to be an object), a fixed security and enrichment spliced onto the line text',
        'iprisk: enrichFiles with the real-feed index, default alert rules, output and alerts to /dev/null',
        `rounds (events/s): baseline ${file.baselineRounds.map(rate).join(', ')}; limit ${file.limitRounds.map(rate).join(', ')}; iprisk ${file.ipriskRounds.map(rate).join(', ')}`,
        `wall clock (medians, for reference): baseline ${rate(file.baselineWall)}, limit ${rate(file.limitWall)}, iprisk ${rate(file.ipriskWall)}`,
        `--workers: the CLI on the events three times over, process start included, output and alerts to /dev/null; seconds per run: --workers 1 ${workers.oneWorker.map((s) => s.toFixed(2)).join(', ')}; --workers 2 ${workers.twoWorkers.map((s) => s.toFixed(2)).join(', ')}`,
      ]),
    );
    out.push(
      table('3. Snapshot of the synthetic index (lower is better)', snapshotRows(snap), [
        `${count(snap.ranges)} ranges; readSnapshot (verifies both SHA-256 digests and every segment) vs maxmind.open on the MMDB of the same ranges`,
        `load time: median of ${snap.iprisk.loads} loads in a fresh process; memory: RSS added by the first load, after a full GC, with the index held`,
        `wall clock (median): iprisk ${ms(snap.iprisk.wallMs)}, maxmind ${ms(snap.maxmind.wallMs)}`,
      ]),
    );
    out.push('4. Summary (markdown)');
    out.push('');
    out.push(summary(cases, file, workers, snap, options));
    out.push('');
    out.push(`  ${machine()} at the end; ${((nowMs() - started) / 1000).toFixed(0)} s in all; checksum ${checksumSink()}`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
