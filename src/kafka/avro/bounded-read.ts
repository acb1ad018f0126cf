import avro from 'avsc';

/**
 * Decoding that a corrupt or hostile value cannot turn into a hang or an out-of-memory crash.
 *
 * avsc reads an array or map block count, then loops that many times, reading on past the end
 * of the buffer (its reads "fail silently" there; the buffer is checked once, at the end). So
 * a value of a few bytes can claim billions of items. Measured on a writer schema with an
 * array-of-strings field: the 4-byte body 80 80 80 40 took 24 s and 1 GB before failing, and
 * 80 80 80 80 04 ran the process out of memory.
 *
 * Types compiled here count the array items and map entries of one value against its length
 * in bytes, and treat a block that would exceed it as truncated. Every item of a real value
 * takes at least one byte (only arrays of nulls or of empty records do not, and no event
 * carries those), so no real value is refused, and decoding does at most one item per byte.
 */

/** The parts of avsc's (untyped) Tap that its own array and map readers use. */
interface Tap {
  readonly buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
  _invalidate(): void;
}

interface Readable {
  _read(tap: Tap): unknown;
}

/** Items the value being decoded may still hold. Decoding is synchronous: one value at a time. */
let itemsLeft = 0;

function blockCount(tap: Tap): number {
  let n = tap.readLong();
  if (n < 0) {
    n = -n;
    tap.skipLong(); // the block's size in bytes
  }
  if (n > itemsLeft) {
    tap._invalidate();
    return 0;
  }
  itemsLeft -= n;
  return n;
}

class BoundedArrayType extends avro.types.ArrayType {
  _read(tap: Tap): unknown[] {
    const items = this.itemsType as unknown as Readable;
    const out: unknown[] = [];
    for (let n = blockCount(tap); n > 0; n = blockCount(tap)) {
      while (n-- > 0) out.push(items._read(tap));
    }
    return out;
  }
}

class BoundedMapType extends avro.types.MapType {
  _read(tap: Tap): Record<string, unknown> {
    const values = this.valuesType as unknown as Readable;
    const out: Record<string, unknown> = {};
    for (let n = blockCount(tap); n > 0; n = blockCount(tap)) {
      while (n-- > 0) {
        const key = tap.readString();
        out[key] = values._read(tap);
      }
    }
    return out;
  }
}

function boundedTypes(schema: avro.Schema, opts: avro.ForSchemaOptions): avro.Type | undefined {
  if (typeof schema !== 'object' || Array.isArray(schema)) return undefined;
  const type = (schema as { type?: unknown }).type;
  if (type === 'array') return new BoundedArrayType(schema, opts);
  if (type === 'map') return new BoundedMapType(schema, opts);
  return undefined;
}

/** `avro.Type.forSchema` with array and map reads bounded by the value's length. */
export function boundedType(schema: avro.Schema): avro.Type {
  return avro.Type.forSchema(schema, { typeHook: boundedTypes });
}

/** `type.fromBuffer(body)` for a type made by boundedType. Throws like fromBuffer. */
export function decodeBounded(type: avro.Type, body: Buffer): unknown {
  itemsLeft = body.length;
  return type.fromBuffer(body);
}
