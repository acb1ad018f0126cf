/**
 * Runs the file-mode comparison in a process of its own: the parent holds two indexes, their
 * MMDBs and the query sets, and a large old generation makes every full GC of the measured
 * passes dearer than it is for `iprisk enrich`, which starts with an empty heap.
 *
 *   node --expose-gc dist/bench/file-mode-child.js <index snapshot> <events.jsonl> <rounds>
 */
import { loadConfig } from '../src/config/load.js';
import { readSnapshot } from '../src/range-index/snapshot.js';
import { measureFileMode } from './file-mode.js';

async function main(): Promise<void> {
  const [snapshot, events, roundsText] = process.argv.slice(2);
  const rounds = Number(roundsText);
  if (snapshot === undefined || events === undefined || !Number.isInteger(rounds) || rounds < 1) {
    throw new Error('usage: file-mode-child.js <index snapshot> <events.jsonl> <rounds>');
  }
  // As `iprisk enrich --index <snapshot>` with no configuration file: every default.
  const config = loadConfig(undefined, {}).config;
  const index = await readSnapshot(snapshot);
  const figures = await measureFileMode(events, index, config, rounds);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
