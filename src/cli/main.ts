import { Command, CommanderError } from 'commander';
import { ConfigError, IpriskError, errorMessage } from '../errors.js';
import { registerEnrich } from './enrich.js';
import { registerIndex } from './index-cmd.js';
import { registerLookup } from './lookup.js';

const program = new Command('iprisk')
  .description('enrich access and auth logs with IP threat intelligence (VPN, proxy, Tor, relay, attacker, cloud)')
  .showHelpAfterError()
  .exitOverride();

registerLookup(program);
registerEnrich(program);
registerIndex(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`iprisk: ${errorMessage(err)}\n`);
    process.exitCode = err instanceof ConfigError || (err instanceof IpriskError && err.code === 'CONFIG_UNREADABLE') ? 2 : 1;
  }
}
