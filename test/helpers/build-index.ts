import type { LoadedSource } from '../../src/feeds/types.js';
import { parseNetworks } from '../../src/ip/network.js';
import { buildIndex } from '../../src/range-index/build.js';
import { CompiledRangeIndex } from '../../src/range-index/range-index.js';
import type { Signals } from '../../src/security/record.js';

/** A loaded source from `[network text, signals]` rows, as a feed parser would give it. */
export function sourceOf(name: string, rows: readonly (readonly [string, Signals])[]): LoadedSource {
  return {
    name,
    format: 'iprisk-csv',
    file: `${name}.csv`,
    entries: rows.flatMap(([net, signals]) => parseNetworks(net).map((network) => ({ network, signals }))),
    problems: [],
    bytes: 0,
  };
}

/** A real compiled index over hand-written sources. */
export function indexOf(sources: readonly LoadedSource[], builtAt = new Date()): CompiledRangeIndex {
  return new CompiledRangeIndex(buildIndex(sources, { builtAt, version: 'test' }));
}
