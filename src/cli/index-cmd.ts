import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { describeIndex, describeIndexJson } from '../range-index/inspect.js';
import { readSnapshot, writeSnapshot } from '../range-index/snapshot.js';
import { buildFromConfig } from './open-index.js';

interface BuildOptions {
  config: string;
  output: string;
  version?: string;
  quiet?: boolean;
}

export function registerIndex(program: Command): void {
  const index = program.command('index').description('build and inspect index snapshots');

  index
    .command('build')
    .description('read every source of a sources file and compile them into a snapshot')
    .requiredOption('-c, --config <file>', 'YAML file with a `sources:` list (paths relative to it)')
    .requiredOption('-o, --output <file>', 'snapshot file to write (atomically)')
    .option('--version <text>', 'version string stored in the snapshot (default: build time and content hash)')
    .option('-q, --quiet', 'print problems only, no summary', false)
    .action(async (opts: BuildOptions) => {
      const loaded = loadConfig(opts.config, {});
      const started = Date.now();
      const { data, sources } = await buildFromConfig(loaded, (line) => process.stderr.write(`${line}\n`), opts.version);
      await writeSnapshot(opts.output, data);
      if (opts.quiet) return;
      const problems = sources.reduce((n, s) => n + s.problems.length, 0);
      const lines = sources.map(
        (s) => `  ${s.name.padEnd(24)} ${s.format.padEnd(13)} ${String(s.entries.length).padStart(9)} networks  ${s.problems.length} problems`,
      );
      process.stderr.write(
        [
          `built ${opts.output}: version ${data.version}, ${data.stats.rangesV4} IPv4 + ${data.stats.rangesV6} IPv6 ranges, ${data.stats.entries} distinct answers in ${((Date.now() - started) / 1000).toFixed(2)} s`,
          ...lines,
          `  ${problems} lines skipped as malformed; ${data.stats.bogonNetworksClipped} networks clipped to exclude bogon space`,
        ].join('\n') + '\n',
      );
    });

  index
    .command('inspect')
    .description('print a snapshot\'s version, age, range counts per family and per source, and flag totals')
    .argument('<file>', 'snapshot file')
    .option('--json', 'machine-readable output', false)
    .action(async (file: string, opts: { json: boolean }) => {
      const snapshot = await readSnapshot(file);
      const now = new Date();
      process.stdout.write(opts.json ? `${JSON.stringify(describeIndexJson(snapshot, now), null, 2)}\n` : `${describeIndex(snapshot, now)}\n`);
    });
}
