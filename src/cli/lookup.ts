import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import type { ApiAnswer } from '../enrich/answer.js';
import { answerFromIndex, explainFromIndex } from '../enrich/answer.js';
import { Projection } from '../security/projection.js';
import { openIndex } from './open-index.js';

interface LookupOptions {
  index?: string;
  config?: string;
  fields?: string;
  excludes?: string;
  pretty?: boolean;
  explain?: boolean;
}

export function registerLookup(program: Command): void {
  program
    .command('lookup')
    .description(
      'print the security object of each IP exactly as ipgeolocation\'s /v3/security answers it; several IPs print a JSON array in the given order, with {"message": ...} for bogon, private and malformed entries',
    )
    .argument('<ip...>', 'IPv4 or IPv6 addresses')
    .option('--index <file>', 'index snapshot (default: index.path from config, else the bundled sample index)')
    .option('-c, --config <file>', 'configuration file (default: $IPRISK_CONFIG)')
    .option('--fields <paths>', 'comma-separated fields to return, e.g. security.threat_score,security.is_vpn')
    .option('--excludes <paths>', 'comma-separated fields to leave out, e.g. security.is_tor')
    .option('--pretty', 'indent the JSON output', false)
    .option(
      '--explain',
      'add `provenance` to each answer: the matched network, the sources that contributed, and the known-good ones among them (meaning benign, or the config\'s allowlist)',
      false,
    )
    .addHelpText('after', '\nExit status: 0 when every entry was an IP address (bogons included), 1 when one was malformed.')
    .action(async (ips: string[], opts: LookupOptions) => {
      const loaded = loadConfig(opts.config);
      const { index } = await openIndex(opts.index, loaded);
      const projection = new Projection(opts.fields, opts.excludes);
      const answer = opts.explain === true ? explainFromIndex : answerFromIndex;
      const answers: ApiAnswer[] = ips.map((ip) => answer(ip, index, projection));
      const body = answers.length === 1 ? answers[0] : answers;
      process.stdout.write(`${JSON.stringify(body, null, opts.pretty ? 2 : undefined)}\n`);
      if (answers.some((a) => 'message' in a && a.message.endsWith('is not a valid IP address.'))) process.exitCode = 1;
    });
}
