import { parseEventTime } from '../../alerts/event-time.js';
import type { AvroField, AvroRecord, AvroSchema } from './schema-types.js';
import { EXTRA_FIELD } from './enriched-schema.js';

/** What a converter answers for a value that does not fit its field's type: no allocation per field, as a result object would take. */
const NO_FIT: unique symbol = Symbol('no fit');
type Converter = (value: unknown) => unknown;

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const DIGITS = /^-?\d{1,16}$/;

function integer(min: number, max: number): Converter {
  return (value) => {
    const n = typeof value === 'string' && DIGITS.test(value) ? Number(value) : value;
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= min && n <= max ? n : NO_FIT;
  };
}

function converterFor(type: AvroSchema): Converter {
  if (type === 'string') return (v) => (typeof v === 'string' ? v : NO_FIT);
  if (type === 'boolean') return (v) => (typeof v === 'boolean' ? v : NO_FIT);
  if (type === 'int') return integer(INT_MIN, INT_MAX);
  if (type === 'long') return integer(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (type === 'double' || type === 'float') return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : NO_FIT);
  if (typeof type === 'object' && !Array.isArray(type)) {
    if (type.type === 'long' && type.logicalType === 'timestamp-millis') return (v) => parseEventTime(v) ?? NO_FIT;
    if (type.type === 'enum' && Array.isArray(type.symbols)) {
      const symbols = new Set(type.symbols);
      return (v) => (typeof v === 'string' && symbols.has(v) ? v : NO_FIT);
    }
  }
  throw new Error(`unsupported field type in a bundled event schema: ${JSON.stringify(type)}`);
}

interface CompiledField {
  name: string;
  nullable: boolean;
  convert: Converter;
}

function compileField(field: AvroField): CompiledField {
  const branches = Array.isArray(field.type) ? field.type : [field.type];
  const nonNull = branches.filter((b) => b !== 'null');
  if (nonNull.length !== 1) throw new Error(`field ${field.name}: only T or [null, T] are supported in bundled event schemas`);
  return { name: field.name, nullable: nonNull.length !== branches.length, convert: converterFor(nonNull[0]!) };
}

/**
 * Turns JSON events into records of a bundled Enriched*Event schema. A value that fits its
 * field's type goes there ("200" fits an int; an ISO time fits timestamp-millis); anything
 * else, and every key the schema does not name, is kept in `extra` as JSON text, so nothing is
 * dropped. A required field with no usable value takes the fallback the caller gives
 * (the record's Kafka timestamp for `timestamp`).
 */
export class JsonRecordConverter {
  private readonly fields: readonly CompiledField[];
  private readonly known: ReadonlySet<string>;

  constructor(schema: AvroRecord) {
    const own = schema.fields.filter((f) => f.name !== EXTRA_FIELD && f.name !== 'security' && f.name !== 'enrichment');
    this.fields = own.map(compileField);
    this.known = new Set([...own.map((f) => f.name), 'security', 'enrichment']);
  }

  convert(event: Record<string, unknown>, fallbacks: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const record: Record<string, unknown> = {};
    let extra: Record<string, string> | null = null;
    for (const field of this.fields) {
      const value = event[field.name];
      if (value === undefined || value === null) {
        record[field.name] = field.nullable ? null : fallbacks[field.name];
        continue;
      }
      const converted = field.convert(value);
      if (converted !== NO_FIT) {
        record[field.name] = converted;
      } else {
        record[field.name] = field.nullable ? null : fallbacks[field.name];
        (extra ??= {})[field.name] = JSON.stringify(value);
      }
    }
    for (const key of Object.keys(event)) {
      if (this.known.has(key)) continue;
      const value = event[key];
      if (value === undefined) continue;
      (extra ??= {})[key] = JSON.stringify(value);
    }
    record[EXTRA_FIELD] = extra;
    return record;
  }
}
