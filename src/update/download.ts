import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { IpriskError, errorMessage } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { backoffMs, parseRetryAfter, sleep } from '../net/retry.js';
import { redactUrl } from './redact-url.js';

/** The longest a retry waits, whatever the attempt number. */
const MAX_BACKOFF_MS = 60_000;

/**
 * A server asking for a longer pause than this (Retry-After) gets it at the next round, not
 * by holding the round open: the other feeds and the rebuild should not wait on one publisher.
 */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** What a previous download left: sent back as If-None-Match / If-Modified-Since. */
export interface Validators {
  etag?: string | undefined;
  lastModified?: string | undefined;
}

export interface DownloadRequest {
  url: string;
  /** Where the body goes; created here, removed here on any failure. */
  tmpFile: string;
  /** Absent: an unconditional request. */
  validators?: Validators | undefined;
  timeoutMs: number;
  retries: number;
  backoffBaseMs: number;
  maxBytes: number;
  userAgent: string;
  signal?: AbortSignal | undefined;
  /** Told before each wait between attempts (for the operator's log). */
  onRetry?: ((error: FeedDownloadError, delayMs: number, attempt: number) => void) | undefined;
}

export type DownloadResult =
  | { status: 'not_modified'; attempts: number }
  | {
      status: 'downloaded';
      attempts: number;
      /** The body as stored in tmpFile (after any Content-Encoding was undone). */
      bytes: number;
      sha256: string;
      etag: string | undefined;
      lastModified: string | undefined;
    };

/** A failed download: `canRetry` says whether another attempt may help; `status` is the HTTP status when there was one. */
export class FeedDownloadError extends IpriskError {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  /** Set when the caller's signal ended the download: not a failure of the feed. */
  readonly aborted: boolean;
  /** Requests made before giving up (1 when the failure was not worth a retry). */
  readonly attempts: number;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      cause?: unknown;
      canRetry?: boolean;
      status?: number | undefined;
      retryAfterMs?: number | undefined;
      aborted?: boolean;
      attempts?: number;
    } = {},
  ) {
    super(code, message, { cause: options.cause, canRetry: options.canRetry ?? false });
    this.name = 'FeedDownloadError';
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.aborted = options.aborted ?? false;
    this.attempts = options.attempts ?? 1;
  }
}

/** 408 and 429 are the client-side statuses that mean "try again later"; every 5xx may pass. */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Node's fetch hides the reason of a network failure in `cause` (ECONNREFUSED, ECONNRESET, ...). */
function networkMessage(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof Error ? `${errorMessage(err)}: ${cause.message}` : errorMessage(err);
}

type AttemptResult = { status: 'not_modified' } | Omit<Extract<DownloadResult, { status: 'downloaded' }>, 'attempts'>;

async function attempt(req: DownloadRequest): Promise<AttemptResult> {
  const { maxBytes, timeoutMs } = req;
  // Messages name the feed by its redacted URL: some carry licence keys.
  const url = redactUrl(req.url);
  const controller = new AbortController();
  // An object, not a let: it is set inside the timer callback, which flow analysis cannot see.
  const timeout = { fired: false };
  let timer: NodeJS.Timeout | undefined;
  // Re-armed on every chunk: the limit is on silence, not on the length of a moving download.
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timeout.fired = true;
      controller.abort();
    }, timeoutMs);
  };
  const onAbort = (): void => {
    controller.abort();
  };
  req.signal?.addEventListener('abort', onAbort, { once: true });
  let handle: FileHandle | undefined;
  try {
    arm();
    const headers: Record<string, string> = { 'user-agent': req.userAgent, accept: '*/*' };
    if (req.validators?.etag !== undefined) headers['if-none-match'] = req.validators.etag;
    if (req.validators?.lastModified !== undefined) headers['if-modified-since'] = req.validators.lastModified;
    const res = await fetch(req.url, { headers, signal: controller.signal, redirect: 'follow' });

    if (res.status === 304) {
      await res.body?.cancel();
      if (req.validators === undefined) {
        throw new FeedDownloadError('FEED_DOWNLOAD_FAILED', `${url} answered 304 Not Modified to a request that was not conditional`, { status: 304 });
      }
      return { status: 'not_modified' };
    }
    if (!res.ok) {
      await res.body?.cancel();
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      throw new FeedDownloadError('FEED_DOWNLOAD_FAILED', `${url} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, {
        status: res.status,
        canRetry: retryableStatus(res.status),
        retryAfterMs,
      });
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) {
      await res.body?.cancel();
      throw new FeedDownloadError('FEED_REJECTED', `${url} is ${declared} bytes, over update.max_bytes (${maxBytes})`);
    }

    handle = await open(req.tmpFile, 'w');
    const hash = createHash('sha256');
    let bytes = 0;
    if (res.body) {
      const body: AsyncIterable<Uint8Array> = res.body;
      for await (const chunk of body) {
        arm();
        bytes += chunk.byteLength;
        if (bytes > maxBytes) {
          // Stop the transfer itself, not just our reading of it.
          controller.abort();
          throw new FeedDownloadError('FEED_REJECTED', `${url} sent more than update.max_bytes (${maxBytes}); download aborted`);
        }
        hash.update(chunk);
        await handle.write(chunk);
      }
    }
    await handle.sync();
    return {
      status: 'downloaded',
      bytes,
      sha256: hash.digest('hex'),
      etag: res.headers.get('etag') ?? undefined,
      lastModified: res.headers.get('last-modified') ?? undefined,
    };
  } catch (err) {
    if (req.signal?.aborted) {
      throw new FeedDownloadError('FEED_DOWNLOAD_FAILED', `download of ${url} aborted`, { cause: err, aborted: true });
    }
    if (err instanceof FeedDownloadError) throw err;
    if (timeout.fired) {
      throw new FeedDownloadError('FEED_DOWNLOAD_FAILED', `${url}: no data for ${timeoutMs} ms (update.timeout_ms)`, { cause: err, canRetry: true });
    }
    throw new FeedDownloadError('FEED_DOWNLOAD_FAILED', `${url}: ${networkMessage(err)}`, { cause: err, canRetry: true });
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
    await handle?.close();
  }
}

/**
 * Downloads `url` into `tmpFile`, streaming (never more than one chunk in memory), with the
 * body hashed on the way. Network errors, timeouts, 408, 429 and 5xx are retried with backoff
 * (Retry-After honoured up to MAX_RETRY_AFTER_MS); other statuses and size overruns are not.
 * On failure tmpFile does not exist and a FeedDownloadError says why.
 */
export async function download(req: DownloadRequest): Promise<DownloadResult> {
  for (let tries = 0; ; tries++) {
    try {
      const result = await attempt(req);
      return { ...result, attempts: tries + 1 };
    } catch (err) {
      await rm(req.tmpFile, { force: true });
      const error =
        err instanceof FeedDownloadError
          ? err
          : new FeedDownloadError('FEED_DOWNLOAD_FAILED', `${redactUrl(req.url)}: ${errorMessage(err)}`, { cause: err });
      const attempts = tries + 1;
      if (error.aborted) throw error;
      if (!error.canRetry) {
        throw new FeedDownloadError(error.code, error.message, { cause: error.cause, status: error.status, attempts });
      }
      if (tries >= req.retries) {
        const after = attempts === 1 ? '' : ` (after ${attempts} attempts)`;
        throw new FeedDownloadError(error.code, `${error.message}${after}`, { cause: error, status: error.status, attempts });
      }
      if (error.retryAfterMs !== undefined && error.retryAfterMs > MAX_RETRY_AFTER_MS) {
        throw new FeedDownloadError(error.code, `${error.message}; it asks to retry after ${Math.round(error.retryAfterMs / 1000)} s, left for the next round`, {
          cause: error,
          status: error.status,
          attempts,
        });
      }
      // Equal jitter: feeds failing together (a network blip) do not retry in lockstep, yet never at once.
      const delayMs = error.retryAfterMs ?? backoffMs(tries, req.backoffBaseMs, MAX_BACKOFF_MS, 'equal');
      req.onRetry?.(error, delayMs, attempts);
      await sleep(delayMs, req.signal);
      if (req.signal?.aborted) throw new FeedDownloadError('FEED_DOWNLOAD_FAILED', `download of ${redactUrl(req.url)} aborted`, { aborted: true });
    }
  }
}
