import type { Readable } from 'node:stream';

/** Bytes of whole lines handed on at once: large enough that per-chunk costs vanish. */
export const CHUNK_BYTES = 1 << 20;

/** Gives a buffer of its own of at least `length` bytes (a new one, or one used before). */
export type ChunkAlloc = (length: number) => Buffer;

const newBuffer: ChunkAlloc = (length) => Buffer.allocUnsafeSlow(length);

/**
 * Cuts a byte stream into chunks of whole lines of about `target` bytes: each chunk but the
 * last ends with a newline; the last holds whatever follows the final newline (a last line
 * without one). A line longer than `target` makes a chunk of its own size. Nothing is decoded
 * here, and each chunk is a buffer of its own from `alloc` (it may be longer than the chunk, which
 * starts at its first byte): another thread can take it without a copy.
 */
export async function* lineChunks(input: Readable, target = CHUNK_BYTES, alloc = newBuffer): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let size = 0;
  for await (const data of input as AsyncIterable<Buffer | string>) {
    const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (chunk.length === 0) continue;
    parts.push(chunk);
    size += chunk.length;
    // Cut when the newest part holds a newline, so a line longer than target is not searched again per part.
    if (size < target || chunk.lastIndexOf(10) < 0) continue;
    const cut = chunk.lastIndexOf(10) + 1;
    yield joined(parts, size - (chunk.length - cut), alloc);
    // Copied, so the read buffer it came from is not kept alive by a line's remainder.
    parts = cut < chunk.length ? [Buffer.from(chunk.subarray(cut))] : [];
    size = chunk.length - cut;
  }
  if (size > 0) yield joined(parts, size, alloc);
}

/** The first `length` bytes of `parts` at the start of a buffer of its own (which another thread can take). */
function joined(parts: readonly Buffer[], length: number, alloc: ChunkAlloc): Buffer {
  const out = alloc(length).subarray(0, length);
  let at = 0;
  for (const part of parts) {
    if (at >= length) break;
    at += part.copy(out, at, 0, Math.min(part.length, length - at));
  }
  return out;
}
