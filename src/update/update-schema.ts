import { z } from 'zod';

/** What `iprisk index update` sends as User-Agent unless configured: publishers ask for one they can contact. */
export const DEFAULT_USER_AGENT = 'iprisk-index-update/0.1 (+feed refresh; conditional requests)';

/**
 * `update:` section: how `iprisk index update` downloads feeds (SPEC sections 5 and 9).
 * Every option has a default; units are in the names.
 */
export const updateSchema = z
  .strictObject({
    timeout_ms: z
      .number()
      .int()
      .min(1)
      .max(3_600_000)
      .default(30_000)
      .describe('Longest wait for the response headers, and then between two chunks of the body, per attempt: a slow download that keeps moving is not cut off, a stalled one is.'),
    retries: z.number().int().min(0).max(20).default(3).describe('Further attempts after a network error, a timeout, a 5xx or a 429 (0: one attempt only).'),
    backoff_base_ms: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(1_000)
      .describe('First retry waits about this long, doubling each time (with jitter, at most 60 s); a Retry-After header from the server takes precedence.'),
    max_bytes: z
      .number()
      .int()
      .min(1)
      .max(4 * 1024 ** 3)
      .default(256 * 1024 * 1024)
      .describe(
        "A download larger than this is aborted mid-stream and the last good copy kept. The file is parsed in memory to validate it, so this also bounds memory (the largest official feed, Apple's egress-ip-ranges.csv, is about 12 MB).",
      ),
    user_agent: z.string().min(1).default(DEFAULT_USER_AGENT).describe('User-Agent of feed downloads: publishers ask for one they can contact.'),
    concurrency: z.number().int().min(1).max(64).default(4).describe('Feeds downloaded at the same time.'),
  })
  .prefault({});

export type UpdateConfig = z.infer<typeof updateSchema>;
