import type { Readable } from 'node:stream';

/** Bytes of whole lines handed on at once: large enough that per-chunk costs vanish. */
export const CHUNK_BYTES = 1 << 20;

/**
 * Cuts a byte stream into chunks of whole lines of about `target` bytes: each chunk but the
 * last ends with a newline; the last holds whatever follows the final newline (a last line
 * without one). A line longer than `target` makes a chunk of its own size. Nothing is decoded
 * here, so the chunks can go to other threads as they are.
 */
export async function* lineChunks(input: Readable, target = CHUNK_BYTES): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let size = 0;
  for await (const data of input as AsyncIterable<Buffer | string>) {
    const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (chunk.length === 0) continue;
    parts.push(chunk);
    size += chunk.length;
    // Cut when the newest part holds a newline, so a line longer than target is not searched again per part.
    if (size < target || chunk.lastIndexOf(10) < 0) continue;
    const all = parts.length === 1 ? chunk : Buffer.concat(parts, size);
    const end = all.lastIndexOf(10) + 1;
    yield all.subarray(0, end);
    parts = end < all.length ? [all.subarray(end)] : [];
    size = all.length - end;
  }
  if (size > 0) yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
}
