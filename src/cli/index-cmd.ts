import { stat } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { describeIndex, describeIndexJson } from '../range-index/inspect.js';
import { readSnapshot, writeSnapshot } from '../range-index/snapshot.js';
import { errorMessage } from '../errors.js';
import { describeHistory, describeHistoryJson, describeUnchanged } from '../history/describe.js';
import { readFiledManifest } from '../history/manifest.js';
import { fileSnapshot } from '../history/store.js';
import type { FileResult } from '../history/store.js';
import { parseInstant } from '../time/instant.js';
import { runUpdateCommand } from '../update/command.js';
import { parseDuration } from '../update/duration.js';
import { buildFromConfig } from './open-index.js';

interface BuildOptions {
  config: string;
  output: string;
  version?: string;
  validFrom?: Date;
  history?: string;
  quiet?: boolean;
}

interface UpdateOptions {
  config: string;
  output?: string;
  every?: number;
  only?: string[];
  force: boolean;
  quiet: boolean;
}

/** Polling a publisher more often than this gains nothing and risks being blocked by it. */
const MIN_EVERY_MS = 10_000;

function everyOption(value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value, '--every');
  } catch (err) {
    throw new InvalidArgumentError(errorMessage(err));
  }
  if (ms < MIN_EVERY_MS) throw new InvalidArgumentError(`--every: '${value}' is shorter than the 10s minimum`);
  return ms;
}

function validFromOption(value: string): Date {
  const problems: string[] = [];
  const ms = parseInstant(value, '--valid-from', problems);
  if (ms === undefined) throw new InvalidArgumentError(problems.join('; '));
  return new Date(ms);
}

function onlyOption(value: string, previous: string[] | undefined): string[] {
  const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0) throw new InvalidArgumentError(`--only: '${value}' names no source`);
  return [...(previous ?? []), ...names];
}

/** The summary line of a filing: what the history now says about the snapshot's time. */
function formatFiled(dir: string, filed: FileResult): string {
  const { entry } = filed;
  switch (filed.outcome) {
    case 'unchanged':
      return `  ${describeUnchanged(dir, entry.valid_from, entry.version)}`;
    case 'replaced':
      return `  history ${dir}: replaced the snapshot valid from ${entry.valid_from} with version ${entry.version}`;
    case 'added':
      return `  history ${dir}: valid from ${entry.valid_from} as version ${entry.version}${filed.wroteFile ? '' : ' (content already stored, not copied again)'}`;
  }
}

export function registerIndex(program: Command): void {
  const index = program.command('index').description('build, inspect and update index snapshots');

  index
    .command('build')
    .description('read every source of a sources file and compile them into a snapshot')
    .requiredOption('-c, --config <file>', 'YAML file with a `sources:` list (paths relative to it)')
    .requiredOption('-o, --output <file>', 'snapshot file to write (atomically)')
    .option('--version <text>', 'version string stored in the snapshot (default: build time and content hash)')
    .option('--valid-from <time>', 'when the snapshot takes effect for as-of enrichment: ISO 8601 date or date-time with Z or an offset (default: now)', validFromOption)
    .option('--history <dir>', 'also file the snapshot into this history folder (created if missing; content already in force then is not filed again)')
    .option('-q, --quiet', 'print problems only, no summary', false)
    .action(async (opts: BuildOptions) => {
      const loaded = loadConfig(opts.config, {});
      const started = Date.now();
      const { data, sources } = await buildFromConfig(loaded, (line) => process.stderr.write(`${line}\n`), opts.version);
      data.validFrom = opts.validFrom ?? data.builtAt;
      const { encoded } = await writeSnapshot(opts.output, data);
      const filed = opts.history === undefined ? undefined : await fileSnapshot(opts.history, data, { validFrom: data.validFrom, encoded });
      if (opts.quiet) return;
      const problems = sources.reduce((n, s) => n + s.problems.length, 0);
      const nameWidth = Math.max(24, ...sources.map((s) => s.name.length));
      const formatWidth = Math.max(13, ...sources.map((s) => s.format.length));
      const lines = sources.map(
        (s) =>
          `  ${s.name.padEnd(nameWidth)} ${s.format.padEnd(formatWidth)} ${String(s.entries.length).padStart(9)} networks  ${s.problems.length} problems` +
          (s.knownGood ? `  (benign: ${s.knownGood.provider})` : ''),
      );
      process.stderr.write(
        [
          `built ${opts.output}: version ${data.version}, ${data.stats.rangesV4} IPv4 + ${data.stats.rangesV6} IPv6 ranges, ${data.stats.entries} distinct answers in ${((Date.now() - started) / 1000).toFixed(2)} s`,
          ...lines,
          `  ${problems} lines skipped as malformed; ${data.stats.bogonNetworksClipped} networks clipped to exclude bogon space`,
          ...(filed === undefined || opts.history === undefined ? [] : [formatFiled(opts.history, filed)]),
        ].join('\n') + '\n',
      );
    });

  index
    .command('update')
    .description(
      'download the feeds of a sources file from their URLs (or the official ones per format), keep the last good copy of any that fails, and rebuild the snapshot',
    )
    .requiredOption('-c, --config <file>', 'YAML file with a `sources:` list (paths relative to it; url-only sources go to feeds/ beside it)')
    .option('-o, --output <file>', 'snapshot file to rebuild (atomically); default: index.path of the config')
    .option('--every <duration>', 'keep updating, waiting this long between rounds (90s, 30m, 6h, 1d); SIGINT/SIGTERM stop it', everyOption)
    .option('--only <names>', 'download only these sources (comma-separated); the others are rebuilt from their local copies', onlyOption)
    .option('--force', 'download in full without conditional requests and rebuild even if nothing changed', false)
    .option('-q, --quiet', 'print failures and problems only', false)
    .addHelpText(
      'after',
      '\nExit status: 0 when the snapshot was written or already up to date (feeds that failed keep their last good copy, with a warning); 1 when it could not be built or a single run was interrupted; 2 for an invalid configuration. With --every, SIGINT/SIGTERM end it with 0.',
    )
    .action(async (opts: UpdateOptions) => {
      process.exitCode = await runUpdateCommand({
        config: opts.config,
        output: opts.output,
        everyMs: opts.every,
        only: opts.only,
        force: opts.force,
        quiet: opts.quiet,
      });
    });

  index
    .command('inspect')
    .description(
      "print a snapshot's version, age, validity start, range counts per family and per source, and flag totals; given a history folder, list its snapshots: valid from, version, ranges and flagged ranges",
    )
    .argument('<file>', 'snapshot file, or a history folder (index build --history)')
    .option('--json', 'machine-readable output', false)
    .action(async (file: string, opts: { json: boolean }) => {
      if ((await stat(file).catch(() => undefined))?.isDirectory()) {
        const manifest = await readFiledManifest(file);
        process.stdout.write(opts.json ? `${JSON.stringify(describeHistoryJson(file, manifest), null, 2)}\n` : `${describeHistory(file, manifest)}\n`);
        return;
      }
      const snapshot = await readSnapshot(file);
      const now = new Date();
      process.stdout.write(opts.json ? `${JSON.stringify(describeIndexJson(snapshot, now), null, 2)}\n` : `${describeIndex(snapshot, now)}\n`);
    });
}
