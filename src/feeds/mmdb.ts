import { createRequire } from 'node:module';
import type DecoderModule from 'mmdb-lib/lib/decoder.js';
import { Reader } from 'mmdb-lib';
import type { Response } from 'mmdb-lib';
import { IpriskError, errorMessage } from '../errors.js';
import { formatNetwork } from '../ip/network.js';
import { BENIGN, signalsForMeaning } from '../security/record.js';
import type { Signals } from '../security/record.js';
import { EntryCollector } from './collector.js';
import { mapMmdbRecord, maxMindSchemaOf } from './mmdb-records.js';
import { walkMmdbTree } from './mmdb-tree.js';
import { BOOLEAN_FIELDS } from './signal-fields.js';
import type { FeedInput, FeedParser } from './types.js';

// mmdb-lib is CommonJS with `exports.default = Decoder`: an ESM default import gives the
// exports object under Node but the class under Vite's interop, so require it the one way.
const { default: Decoder } = createRequire(import.meta.url)('mmdb-lib/lib/decoder.js') as typeof DecoderModule;

/** The 16 zero bytes between the search tree and the data section. */
const DATA_SECTION_SEPARATOR_BYTES = 16;

/** A record's own values win over the meaning's (its confidence, its names); the meaning's
 * flags are added and name lists unioned. */
function withMeaning(record: Signals, meaning: Signals): Signals {
  const out: Signals = { ...meaning, ...record };
  for (const flag of BOOLEAN_FIELDS) if (meaning[flag] === true) out[flag] = true;
  for (const key of ['vpn_provider_names', 'proxy_provider_names'] as const) {
    if (record[key] !== undefined && meaning[key] !== undefined) out[key] = [...new Set([...record[key], ...meaning[key]])];
  }
  for (const key of ['relay_provider_name', 'cloud_provider_name'] as const) {
    if (!record[key] && meaning[key] !== undefined) out[key] = meaning[key];
  }
  return out;
}

function readMetadata(input: FeedInput): Reader<Response>['metadata'] {
  try {
    return new Reader<Response>(input.data).metadata;
  } catch (err) {
    throw new IpriskError('FEED_UNREADABLE', `${input.file}: not a MaxMind DB: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * MaxMind DB files, every network enumerated by walking the search tree (mmdb-lib only does
 * point lookups). Records map by schema: MaxMind's anonymizer databases, or our own field names
 * (ipgeolocation-style). A source `meaning` flags every network of the file, for databases whose
 * records carry none (nextdns's iCloud Private Relay MMDB keeps only a country); with meaning
 * `relay` and no `provider` the relay provider name stays empty. Networks whose record maps to
 * nothing are not entries. Problems are numbered by the network's ordinal in address order.
 */
export const parseMmdb: FeedParser = (input) => {
  const metadata = readMetadata(input);
  const decoder = new Decoder(input.data, metadata.searchTreeSize + DATA_SECTION_SEPARATOR_BYTES);
  const schema = maxMindSchemaOf(metadata.databaseType);
  const { meaning, provider, confidence } = input.source;
  // Benign: every network of the file is known-good, whatever its record says.
  const benign = meaning === BENIGN;
  const meaningSignals = meaning === undefined || meaning === BENIGN ? undefined : signalsForMeaning(meaning, provider, confidence);
  const out = new EntryCollector(input.file, { dedupe: false });
  // Many networks share one data record: map each record once.
  const mapped = new Map<number, Signals | string>();
  let ordinal = 0;
  try {
    walkMmdbTree(input.data, metadata, (network, dataOffset) => {
      ordinal++;
      let signals = mapped.get(dataOffset);
      if (signals === undefined) {
        try {
          const value: unknown = decoder.decode(dataOffset).value;
          signals = mapMmdbRecord(value, schema);
        } catch (err) {
          signals = `data record cannot be decoded: ${errorMessage(err)}`;
        }
        if (typeof signals !== 'string') signals = Object.freeze(meaningSignals ? withMeaning(signals, meaningSignals) : signals);
        mapped.set(dataOffset, signals);
      }
      if (typeof signals === 'string') out.problem(ordinal, `${formatNetwork(network)}: ${signals}`);
      else if (benign || Object.keys(signals).length > 0) out.add(network, signals);
    });
  } catch (err) {
    throw new IpriskError('FEED_UNREADABLE', `${input.file}: corrupt MaxMind DB search tree: ${errorMessage(err)}`, { cause: err });
  }
  return out.result();
};
