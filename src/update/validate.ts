import path from 'node:path';
import type { SourceConfig } from '../config/sources.js';
import { IpriskError, errorMessage } from '../errors.js';
import { loadSource } from '../feeds/load.js';

/**
 * Checks a downloaded body before it may replace the last good copy: the declared sha256,
 * then a full parse with the source's own parser (as `index build` will read it). Publishers
 * answer outages with 200 and an HTML page, or with an empty or cut-off body; none of that may
 * reach the index. Rejected: not of the format at all, no network in it, or more malformed
 * lines than networks. Returns the number of networks the feed lists.
 */
export async function validateFeed(source: SourceConfig, tmpFile: string, url: string, digest: { sha256: string; bytes: number }): Promise<number> {
  const reject = (why: string): IpriskError => new IpriskError('FEED_REJECTED', `source '${source.name}': ${url}: ${why}; the last good copy is kept`);
  if (source.sha256 !== undefined && digest.sha256 !== source.sha256.toLowerCase()) {
    throw reject(`sha256 is ${digest.sha256}, the source declares ${source.sha256.toLowerCase()} (sha256)`);
  }
  if (digest.bytes === 0) throw reject('empty body');
  let loaded;
  try {
    loaded = await loadSource({ ...source, path: tmpFile }, path.dirname(tmpFile));
  } catch (err) {
    // The parser names the temporary file; the operator knows the feed by its URL.
    const why = errorMessage(err).replace(`source '${source.name}': `, '').replaceAll(`${tmpFile}: `, '').replaceAll(tmpFile, url);
    throw reject(`not a valid ${source.format} feed: ${why}`);
  }
  const networks = loaded.entries.length;
  if (networks === 0) throw reject(`not a valid ${source.format} feed: it lists no network`);
  if (loaded.problems.length > networks) {
    throw reject(`not a valid ${source.format} feed: more malformed lines (${loaded.problems.length}) than networks (${networks})`);
  }
  return networks;
}
