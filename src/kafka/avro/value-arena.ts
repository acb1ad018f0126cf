/**
 * Record values written one after another into shared chunks, each value a view of its chunk:
 * one allocation per chunk instead of two zero-filled buffers and two copies per value (avsc's
 * toBuffer, then the frame). Written bytes are never written again, so a value stays valid for
 * as long as it is held; a chunk is freed once none of its values is.
 */
export class ValueArena {
  private chunk: Buffer;
  private pos = 0;

  constructor(private readonly chunkBytes = 256 * 1024) {
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  /**
   * Writes one value with `write(buf, pos)`, which writes from `pos` and returns the position
   * after the value, or a negative number when the value did not fit (avsc's Type.encode
   * convention); the value is then written again into a larger fresh chunk.
   */
  write(write: (buf: Buffer, pos: number) => number): Buffer {
    let room = this.chunkBytes;
    for (;;) {
      const start = this.pos;
      const end = write(this.chunk, start);
      if (end >= 0) {
        this.pos = end;
        return this.chunk.subarray(start, end);
      }
      // Did not fit: a fresh chunk, doubled each time a value does not fit even an empty one.
      room = Math.max(room, 2 * (this.chunk.length - start));
      this.chunk = Buffer.allocUnsafe(Math.max(this.chunkBytes, room));
      this.pos = 0;
    }
  }
}
