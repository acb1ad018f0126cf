import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * What `index update` remembers about one downloaded feed, in `<feed file>.meta.json` beside it:
 * the validators the server gave (sent back as If-None-Match / If-Modified-Since) and the
 * digest of the bytes they describe, so a file changed by hand is never mistaken for the
 * server's copy.
 */
const feedStateSchema = z.object({
  /** Redacted like every printed URL: the state file holds no credentials. */
  url: z.string(),
  etag: z.string().optional(),
  last_modified: z.string().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  /** When these bytes were last downloaded (ISO 8601). */
  downloaded_at: z.string(),
  /** When the server last confirmed them (200 or 304). */
  checked_at: z.string(),
});

export type FeedState = z.infer<typeof feedStateSchema>;

export function stateFileOf(feedFile: string): string {
  return `${feedFile}.meta.json`;
}

/** The remembered state, or undefined when there is none or it cannot be trusted. */
export async function readFeedState(feedFile: string): Promise<FeedState | undefined> {
  try {
    const parsed = feedStateSchema.safeParse(JSON.parse(await readFile(stateFileOf(feedFile), 'utf8')));
    // A damaged state costs one unconditional download, nothing more.
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Written through a rename, like the feed: a crash leaves the old state or the new one. */
export async function writeFeedState(feedFile: string, state: FeedState): Promise<void> {
  const target = stateFileOf(feedFile);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { flag: 'wx' });
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** sha256 and size of a file, streamed; undefined when it does not exist or cannot be read. */
export async function digestFile(file: string): Promise<{ sha256: string; bytes: number } | undefined> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(file)) {
      const buf = chunk as Buffer;
      bytes += buf.byteLength;
      hash.update(buf);
    }
  } catch {
    return undefined;
  }
  return { sha256: hash.digest('hex'), bytes };
}
