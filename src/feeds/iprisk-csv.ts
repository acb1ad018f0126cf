import { IpriskError, errorMessage } from '../errors.js';
import { parseNetworks } from '../ip/network.js';
import type { Signals } from '../security/record.js';
import { EntryCollector } from './collector.js';
import { csvRecords } from './csv.js';
import { IGNORED_FIELD, isSignalField, setFieldFromText } from './signal-fields.js';
import type { SignalField } from './signal-fields.js';
import type { FeedInput, FeedParser } from './types.js';

/** What each header column feeds: the network, a signal field, or nothing (`is_anonymous`). */
type Column = 'network' | SignalField | undefined;

function readHeader(input: FeedInput, fields: readonly string[]): Column[] {
  const seen = new Set<string>();
  const columns = fields.map((raw): Column => {
    const name = raw.trim().toLowerCase();
    if (seen.has(name)) throw new IpriskError('FEED_UNREADABLE', `${input.file}: column '${name}' appears twice in the header`);
    seen.add(name);
    if (name === 'network' || isSignalField(name)) return name;
    if (name === IGNORED_FIELD) return undefined;
    throw new IpriskError(
      'FEED_UNREADABLE',
      `${input.file}: unknown column '${raw.trim()}' in the header (expected network and security field names)`,
    );
  });
  if (!seen.has('network')) throw new IpriskError('FEED_UNREADABLE', `${input.file}: the header has no 'network' column`);
  return columns;
}

/**
 * The canonical iprisk CSV: a header naming `network` and any security fields, lists joined by
 * `|`, an empty cell meaning "not given" (so a row supplies threat_score only when its cell
 * has one). An unknown column makes the whole file unreadable: every row would be misread.
 */
export const parseIpriskCsv: FeedParser = (input) => {
  const out = new EntryCollector(input.file, { dedupe: false });
  let columns: Column[] | undefined;
  for (const record of csvRecords(input.data.toString('utf8'))) {
    if ('error' in record) {
      if (!columns) throw new IpriskError('FEED_UNREADABLE', `${input.file}:${record.line}: header row: ${record.error}`);
      out.problem(record.line, record.error);
      continue;
    }
    if (!columns) {
      columns = readHeader(input, record.fields);
      continue;
    }
    if (record.fields.length !== columns.length) {
      out.problem(record.line, `${record.fields.length} fields where the header has ${columns.length}`);
      continue;
    }
    const signals: Signals = {};
    const errors: string[] = [];
    let networkText = '';
    columns.forEach((column, k) => {
      const cell = record.fields[k]!;
      if (column === 'network') networkText = cell.trim();
      else if (column !== undefined) {
        const error = setFieldFromText(signals, column, cell);
        if (error !== undefined) errors.push(error);
      }
    });
    if (networkText === '') errors.unshift('network: empty');
    if (errors.length > 0) {
      out.problem(record.line, errors.join('; '));
      continue;
    }
    try {
      out.addAll(parseNetworks(networkText), Object.freeze(signals));
    } catch (err) {
      out.problem(record.line, `network: ${errorMessage(err)}`);
    }
  }
  if (!columns) throw new IpriskError('FEED_UNREADABLE', `${input.file}: no header row (expected a 'network' column)`);
  return out.result();
};
