import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { FeedDownloadError, download } from './download.js';
import type { Validators } from './download.js';
import { digestFile, readFeedState, writeFeedState } from './feed-state.js';
import { redactUrl } from './redact-url.js';
import type { FeedState } from './feed-state.js';
import type { FeedPlan } from './plan.js';
import type { UpdateConfig } from './update-schema.js';
import { validateFeed } from './validate.js';

/** The outcomes counted by `iprisk_feed_updates_total`. */
export type FeedOutcome = 'updated' | 'not_modified' | 'failed';

export interface FeedResult {
  name: string;
  /** As printed: credentials in it redacted (redact-url.ts). */
  url: string;
  file: string;
  outcome: FeedOutcome;
  /** Size of the local copy after the round (the new one when updated). */
  bytes: number | undefined;
  /** Networks the new copy lists (updated only: it was parsed to validate it). */
  networks: number | undefined;
  attempts: number;
  /** Why it failed. */
  error: string | undefined;
  /** A local copy exists to build from: the new one, or after a failure the last good one. */
  hasCopy: boolean;
  /** The round was stopped (SIGTERM) while this feed was in flight: neither success nor failure. */
  aborted: boolean;
}

export interface FeedUpdateContext {
  config: UpdateConfig;
  /** Ignore remembered validators: download every feed in full. */
  force: boolean;
  signal?: AbortSignal | undefined;
  /** Told about retries as they happen. */
  report?: ((line: string) => void) | undefined;
  now?: (() => Date) | undefined;
}

/** Makes the rename durable; best effort, as for snapshots. */
async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot sync a folder; the file's bytes are synced already.
  }
}

/**
 * One feed: downloads it (conditionally when the local copy is the one the server described
 * last time) into a temporary file beside the copy, validates it, and renames it over the copy.
 * Anything short of a valid new body leaves the copy as it was. Never throws for the feed's
 * own failures: they come back as outcome 'failed' with the reason.
 */
export async function updateFeed(feed: FeedPlan, ctx: FeedUpdateContext): Promise<FeedResult> {
  const url = feed.url!;
  // What is printed and remembered: never a licence key embedded in the URL.
  const shown = redactUrl(url);
  const { file, source } = feed;
  const now = ctx.now ?? (() => new Date());
  const [state, current] = await Promise.all([readFeedState(file), digestFile(file)]);
  const result: FeedResult = {
    name: source.name,
    url: shown,
    file,
    outcome: 'failed',
    bytes: current?.bytes,
    networks: undefined,
    attempts: 0,
    error: undefined,
    hasCopy: current !== undefined,
    aborted: false,
  };

  // Validators describe the server's bytes; they are only worth sending while the local copy
  // is exactly those bytes (not edited by hand, still the declared checksum, same URL).
  const trusted =
    !ctx.force &&
    state !== undefined &&
    current !== undefined &&
    state.url === shown &&
    state.sha256 === current.sha256 &&
    (source.sha256 === undefined || source.sha256.toLowerCase() === current.sha256);
  const validators: Validators | undefined =
    trusted && (state.etag !== undefined || state.last_modified !== undefined) ? { etag: state.etag, lastModified: state.last_modified } : undefined;

  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.download`);
  try {
    await mkdir(dir, { recursive: true });
    const got = await download({
      url,
      tmpFile: tmp,
      validators,
      timeoutMs: ctx.config.timeout_ms,
      retries: ctx.config.retries,
      backoffBaseMs: ctx.config.backoff_base_ms,
      maxBytes: ctx.config.max_bytes,
      userAgent: ctx.config.user_agent,
      signal: ctx.signal,
      onRetry: (error, delayMs, attempt) => {
        ctx.report?.(`${source.name}: attempt ${attempt} failed (${error.message}); retrying in ${delayMs < 1000 ? `${delayMs} ms` : `${(delayMs / 1000).toFixed(1)} s`}`);
      },
    });
    result.attempts = got.attempts;
    const checkedAt = now().toISOString();
    if (got.status === 'not_modified') {
      // `trusted` held, so state is the description of the local copy.
      await writeFeedState(file, { ...(state as FeedState), checked_at: checkedAt });
      result.outcome = 'not_modified';
      return result;
    }
    const next: FeedState = {
      url: shown,
      ...(got.etag === undefined ? {} : { etag: got.etag }),
      ...(got.lastModified === undefined ? {} : { last_modified: got.lastModified }),
      sha256: got.sha256,
      bytes: got.bytes,
      downloaded_at: checkedAt,
      checked_at: checkedAt,
    };
    const declaredOk = source.sha256 === undefined || source.sha256.toLowerCase() === got.sha256;
    if (current?.sha256 === got.sha256 && declaredOk) {
      // Same bytes (a server without validators, or --force): leave the file, and its mtime,
      // alone so that nothing is rebuilt for it.
      await rm(tmp, { force: true });
      await writeFeedState(file, { ...next, downloaded_at: state?.sha256 === got.sha256 ? state.downloaded_at : checkedAt });
      result.outcome = 'not_modified';
      return result;
    }
    result.networks = await validateFeed(source, tmp, shown, got);
    await rename(tmp, file);
    await syncFolder(dir);
    await writeFeedState(file, next);
    result.outcome = 'updated';
    result.bytes = got.bytes;
    result.hasCopy = true;
    return result;
  } catch (err) {
    await rm(tmp, { force: true });
    result.aborted = ctx.signal?.aborted ?? false;
    result.error = errorMessage(err);
    if (err instanceof FeedDownloadError) result.attempts = err.attempts;
    return result;
  }
}
