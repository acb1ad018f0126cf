import { Option } from 'commander';
import type { Command } from 'commander';
import { AlertEngine } from '../alerts/engine.js';
import { loadConfig } from '../config/load.js';
import { Enricher } from '../enrich/enricher.js';
import type { EventKind } from '../enrich/enricher.js';
import { enrichFiles, formatSummary } from '../file-mode/enrich-files.js';
import { createRemote } from '../remote/create.js';
import { createLogger } from '../telemetry/logger.js';
import { openIndex } from './open-index.js';

interface EnrichOptions {
  output?: string;
  alerts?: string;
  rejects?: string;
  kind?: EventKind;
  index?: string;
  config?: string;
  batchSize?: string;
  quiet?: boolean;
}

export function registerEnrich(program: Command): void {
  program
    .command('enrich')
    .description(
      'enrich JSONL access/auth events (gzip in and out supported): one output line per input object, in input order, with `security` and `enrichment` added; alerts to a second file; undecodable lines to the rejects file',
    )
    .argument('[files...]', 'JSONL files, gzip or plain; "-" or none reads stdin')
    .option('-o, --output <file>', 'enriched JSONL (".gz" compresses); default stdout')
    .option('--alerts <file>', 'write alerts as JSONL Alert records')
    .option('--rejects <file>', 'write rejected lines with file, line number and reason; default stderr')
    .addOption(new Option('--kind <kind>', 'event kind for every line (default: detected per line)').choices(['access', 'auth']))
    .option('--index <file>', 'index snapshot (default: index.path from config, else the bundled sample index)')
    .option('-c, --config <file>', 'configuration file (default: $IPRISK_CONFIG)')
    .option('--batch-size <n>', 'events enriched together (unique IPs looked up once per batch)')
    .option('-q, --quiet', 'no summary on stderr', false)
    .addHelpText('after', '\nExit status: 0 when every input was read, even if some lines were rejected.')
    .action(async (files: string[], opts: EnrichOptions) => {
      const loaded = loadConfig(opts.config);
      const { config } = loaded;
      const { index } = await openIndex(opts.index, loaded);
      // Index misses go to the remote providers when some are configured (SPEC section 6).
      const remote =
        config.remote.providers.length > 0
          ? createRemote(config.remote, { logger: createLogger(), baseDir: loaded.baseDir, weights: config.score })
          : undefined;
      const enricher = new Enricher({
        index: { current: index },
        extraction: config.enrich,
        maxIndexAgeSecs: config.index.max_age_secs,
        ...(remote ? { fallback: remote } : {}),
      });
      const alerts = new AlertEngine(config.alerts, { clock: Date.now });
      const batchSize = opts.batchSize === undefined ? config.enrich.batch_size : Number(opts.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch-size must be a positive integer, got ${opts.batchSize}`);
      const summary = await enrichFiles({
        inputs: files,
        ...(opts.output === undefined ? {} : { output: opts.output }),
        ...(opts.alerts === undefined ? {} : { alertsOutput: opts.alerts }),
        ...(opts.rejects === undefined ? {} : { rejectsOutput: opts.rejects }),
        ...(opts.kind === undefined ? {} : { kind: opts.kind }),
        batchSize,
        enricher,
        alerts,
      }).finally(() => remote?.close());
      if (!opts.quiet) process.stderr.write(`${formatSummary(summary, opts.rejects, opts.alerts)}\n`);
    });
}
