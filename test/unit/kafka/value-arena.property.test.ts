import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValueArena } from '../../../src/kafka/avro/value-arena.js';
import { params } from '../../helpers/property.js';

/** A writer in avsc's Type.encode convention: the position after the bytes, or negative when they do not fit. */
function writerOf(bytes: Uint8Array): (buf: Buffer, pos: number) => number {
  return (buf, pos) => {
    if (pos + bytes.length > buf.length) return buf.length - (pos + bytes.length) - 1;
    buf.set(bytes, pos);
    return pos + bytes.length;
  };
}

describe('ValueArena', () => {
  it('keeps every value written intact, whether it fits the current chunk, needs a fresh one or is larger than a chunk', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 60 }), (chunkBytes, contents) => {
        const arena = new ValueArena(chunkBytes);
        const values = contents.map((bytes) => arena.write(writerOf(bytes)));
        // Read after every write: a later value written over an earlier one would show here.
        values.forEach((value, i) => {
          expect([...value]).toEqual([...contents[i]!]);
        });
      }),
      params(44, 300),
    );
  });
});
