import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { SourceConfig } from '../config/sources.js';
import { ConfigError } from '../errors.js';
import { DEFAULT_FEED_URLS, feedUrlOf, noDefaultUrlReason } from './default-urls.js';
import { redactUrl } from './redact-url.js';

/** Folder, beside the config file, holding the feeds of sources that name only a `url`. */
export const FEEDS_FOLDER = 'feeds';

/** One enabled source, as a round of `index update` treats it. */
export interface FeedPlan {
  /** The source with `path` always set (url-only sources get one under feeds/), for the rebuild. */
  source: SourceConfig & { path: string };
  /** Absolute path of the local copy. */
  file: string;
  /** Where it is downloaded from; undefined: used as the local file it is. */
  url: string | undefined;
  /** Whether this round downloads it (every feed with a url, or those named by --only). */
  download: boolean;
  /** Why it is not downloaded, when it has no url. */
  localReason: string | undefined;
}

export interface UpdatePlan {
  feeds: FeedPlan[];
  /** Absolute path of the snapshot to rebuild. */
  snapshot: string;
}

export interface PlanOptions {
  /** -o: the snapshot file (relative to the working folder); else index.path of the config. */
  output?: string | undefined;
  /** --only: names of the sources to download; the others are rebuilt from their local copies. */
  only?: readonly string[] | undefined;
}

/** `feeds/<name><extension of the URL's file name>`: `aws` from …/ip-ranges.json → `feeds/aws.json`. */
export function feedFileName(name: string, url: string): string {
  const ext = path.posix.extname(new URL(url).pathname);
  return `${name}${/^\.[A-Za-z0-9]{1,8}$/.test(ext) ? ext : ''}`;
}

function isHttp(url: string): boolean {
  const protocol = new URL(url).protocol;
  return protocol === 'http:' || protocol === 'https:';
}

/**
 * Decides, before anything is fetched, what a round does with each enabled source, and
 * collects every problem of the command line and config at once (ConfigError, by path).
 */
export function planUpdate(loaded: LoadedConfig, options: PlanOptions = {}): UpdatePlan {
  const problems: string[] = [];
  const { config, baseDir } = loaded;

  let snapshot = '';
  if (options.output !== undefined) snapshot = path.resolve(options.output);
  else if (config.index.path !== undefined) snapshot = path.resolve(baseDir, config.index.path);
  else problems.push('index.path: no snapshot to rebuild: pass -o FILE or set index.path');

  const names = new Set(config.sources.map((s) => s.name));
  const only = options.only === undefined ? undefined : new Set(options.only);
  for (const name of only ?? []) {
    if (!names.has(name)) problems.push(`--only: no source is named '${name}' (sources: ${[...names].join(', ') || 'none'})`);
  }

  const feeds: FeedPlan[] = [];
  const targets = new Map<string, string>();
  config.sources.forEach((source, i) => {
    if (!source.enabled) {
      if (only?.has(source.name)) problems.push(`--only: source '${source.name}' is disabled (sources.${i}.enabled)`);
      return;
    }
    const url = feedUrlOf(source);
    if (source.url !== undefined && !isHttp(source.url)) {
      problems.push(`sources.${i}.url: '${redactUrl(source.url)}' is not an http or https URL`);
      return;
    }
    const relative = source.path ?? path.join(FEEDS_FOLDER, feedFileName(source.name, url!));
    const file = path.resolve(baseDir, relative);
    const download = url !== undefined && (only === undefined || only.has(source.name));
    if (url === undefined && only?.has(source.name)) {
      problems.push(`--only: source '${source.name}' has no url to download from (sources.${i}.url): ${noDefaultUrlReason(source.format, source.meaning) ?? ''}`);
    }
    if (download) {
      // Two downloads into one file would overwrite each other every round.
      const before = targets.get(file);
      if (before !== undefined) {
        const shared = source.url === undefined && DEFAULT_FEED_URLS[source.format] === url ? ` (both get the ${source.format} default URL: set url on each)` : '';
        problems.push(`sources.${i}.path: '${source.name}' and '${before}' both download into ${file}${shared}`);
      }
      targets.set(file, source.name);
    }
    feeds.push({
      source: { ...source, path: relative },
      file,
      url,
      download,
      localReason: url === undefined ? noDefaultUrlReason(source.format, source.meaning) : undefined,
    });
  });

  // Several path-only sources of one format would all fetch the same official file and
  // overwrite their different local lists with it: refuse rather than guess which is meant.
  const byDefault = new Map<string, string[]>();
  for (const feed of feeds) {
    if (!feed.download || feed.source.url !== undefined || feed.url === undefined) continue;
    byDefault.set(feed.url, [...(byDefault.get(feed.url) ?? []), feed.source.name]);
  }
  for (const [url, sharing] of byDefault) {
    if (sharing.length < 2) continue;
    problems.push(
      `sources: ${sharing.map((n) => `'${n}'`).join(', ')} name no url and would all download ${url} (their format's official feed) over different files: set url on each, or leave the extra ones out with --only`,
    );
  }

  if (problems.length > 0) throw new ConfigError(loaded.file ?? 'the command line', problems);
  return { feeds, snapshot };
}
