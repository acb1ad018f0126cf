import { Command, CommanderError } from 'commander';
import { ConfigError, IpriskError, errorMessage } from '../errors.js';
import { registerEnrich } from './enrich.js';
import { registerIndex } from './index-cmd.js';
import { registerLookup } from './lookup.js';
import { registerReplay } from './replay.js';
import { registerRun } from './run.js';
import { registerServe } from './serve.js';

const program = new Command('iprisk')
  .description('enrich access and auth logs with IP threat intelligence (VPN, proxy, Tor, relay, attacker, cloud)')
  .showHelpAfterError()
  .exitOverride();

registerLookup(program);
registerEnrich(program);
registerIndex(program);
registerRun(program);
registerReplay(program);
registerServe(program);

function isBrokenPipe(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'EPIPE';
}

// A reader that goes away (`iprisk enrich ... | head`) ends the command quietly, as Unix tools do.
process.stdout.on('error', (err) => {
  if (isBrokenPipe(err)) process.exit(0);
  throw err;
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (isBrokenPipe(err)) {
    process.exitCode = 0;
  } else if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`iprisk: ${errorMessage(err)}\n`);
    process.exitCode = err instanceof ConfigError || (err instanceof IpriskError && err.code === 'CONFIG_UNREADABLE') ? 2 : 1;
  }
}
