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

/** Reads up to `length` bytes into `into` at `offset`; 0 at the end of the input. */
export type ReadInto = (into: Buffer, offset: number, length: number) => Promise<number>;

/**
 * As lineChunks, for an input read straight into the chunk buffers (a plain file): no read
 * buffers of its own and no copy but that of the partial last line, carried to the next chunk.
 */
export async function* readChunks(read: ReadInto, target = CHUNK_BYTES, alloc = newBuffer): AsyncGenerator<Buffer> {
  let carry = Buffer.alloc(0);
  for (;;) {
    // Room for more than the carried line, so that every round reads something.
    let limit = Math.max(target, 2 * carry.length);
    let buf = alloc(limit);
    let filled = carry.copy(buf, 0);
    let end = false;
    let cut: number;
    for (;;) {
      while (filled < limit) {
        const n = await read(buf, filled, limit - filled);
        if (n === 0) {
          end = true;
          break;
        }
        filled += n;
      }
      cut = buf.subarray(0, filled).lastIndexOf(10) + 1;
      if (cut > 0 || end) break;
      // A line longer than the buffer: read on into one twice as long.
      limit *= 2;
      const longer = alloc(limit);
      buf.copy(longer, 0, 0, filled);
      buf = longer;
    }
    if (end) {
      if (filled > 0) yield buf.subarray(0, filled);
      return;
    }
    // Copied before the chunk is handed on (perhaps moved to another thread).
    carry = Buffer.from(buf.subarray(cut, filled));
    yield buf.subarray(0, cut);
  }
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
