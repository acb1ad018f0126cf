import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { SourceConfig } from '../config/sources.js';
import { isKnownGoodSource } from '../config/sources.js';
import { IpriskError, errorMessage } from '../errors.js';
import { asKnownGood, knownGoodProvider } from './known-good.js';
import { applySourceOverrides } from './overrides.js';
import { parserFor } from './registry.js';
import type { LoadedSource } from './types.js';

export { formatProblem } from './problems.js';

function isGzip(data: Buffer): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

/**
 * Reads one source: its file (relative to `baseDir`, gunzipped when it is gzip, whatever its
 * name), parsed by its format, with the source's provider / confidence overrides applied; a
 * known-good (benign) source keeps only its networks.
 * A missing or unreadable file, or one not of the format at all, throws FEED_UNREADABLE naming
 * the source and the file; bad lines come back as problems.
 */
export async function loadSource(source: SourceConfig, baseDir: string): Promise<LoadedSource> {
  if (source.path === undefined) {
    throw new IpriskError(
      'FEED_UNREADABLE',
      `source '${source.name}': no local path (it has only a url: run 'iprisk index update' to fetch it)`,
    );
  }
  const parse = parserFor(source.format);
  const file = path.resolve(baseDir, source.path);
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    throw new IpriskError('FEED_UNREADABLE', `source '${source.name}': cannot read ${file}: ${errorMessage(err)}`, { cause: err });
  }
  if (isGzip(data)) {
    try {
      data = gunzipSync(data);
    } catch (err) {
      throw new IpriskError('FEED_UNREADABLE', `source '${source.name}': ${file} is not valid gzip: ${errorMessage(err)}`, { cause: err });
    }
  }
  let result;
  try {
    result = parse({ source, file, data });
  } catch (err) {
    if (err instanceof IpriskError) {
      throw new IpriskError(err.code, `source '${source.name}': ${err.message}`, { cause: err, canRetry: err.canRetry });
    }
    throw new IpriskError('FEED_UNREADABLE', `source '${source.name}': ${file}: ${errorMessage(err)}`, { cause: err });
  }
  const knownGood = isKnownGoodSource(source);
  return {
    name: source.name,
    format: source.format,
    file,
    entries: knownGood ? asKnownGood(result.entries) : applySourceOverrides(result.entries, source),
    problems: result.problems,
    bytes: data.length,
    ...(knownGood ? { knownGood: { provider: knownGoodProvider(source) } } : {}),
  };
}
