import avro from 'avsc';
import type { Enrichment } from '../../enrich/enricher.js';
import type { SecurityRecord } from '../../security/record.js';
import { MAGIC_BYTE } from '../registry.js';
import type { AvroRecord } from './schema-types.js';
import type { ValueArena } from './value-arena.js';

/** Confluent wire format: magic byte 0, then the schema id as 4-byte big-endian, then the Avro body. */
const HEADER_BYTES = 5;

/**
 * Writes enriched records of one output schema, whose last two fields are `security` and
 * `enrichment` (enriched-schema.ts), in the Confluent wire format. An Avro record's encoding is
 * its fields' encodings one after another, so a value is written as the event's fields (a
 * record type of the schema without the last two), then the `security` union, then the
 * `enrichment` union: the same bytes as the whole record, without building an object that
 * holds all three. `security` depends only on the answer, and thousands of events share one
 * answer object: its bytes are encoded once per object and copied.
 */
export class EnrichedWriter {
  private readonly head: avro.Type;
  private readonly security: avro.Type;
  private readonly enrichment: avro.Type;
  private readonly securityBytes = new WeakMap<object, Buffer>();
  private readonly nullSecurity: Buffer;

  constructor(
    private readonly schemaId: number,
    schema: AvroRecord,
    type: avro.Type,
  ) {
    const fields = type instanceof avro.types.RecordType ? type.fields : [];
    const security = fields.at(-2);
    const enrichment = fields.at(-1);
    if (security?.name !== 'security' || enrichment?.name !== 'enrichment') {
      throw new Error(`output schema ${schema.name} does not end with the security and enrichment fields`);
    }
    this.security = security.type;
    this.enrichment = enrichment.type;
    // Named types the event's fields define are defined in those fields, ahead of security and
    // enrichment, so the schema cut before them stands on its own.
    this.head = avro.Type.forSchema({ ...schema, fields: schema.fields.slice(0, -2) } as avro.Schema);
    this.nullSecurity = this.security.toBuffer(null);
  }

  private securityOf(security: Readonly<SecurityRecord> | null): Buffer {
    if (security === null) return this.nullSecurity;
    let bytes = this.securityBytes.get(security);
    if (bytes === undefined) {
      bytes = this.security.toBuffer(security);
      this.securityBytes.set(security, bytes);
    }
    return bytes;
  }

  /**
   * The framed value of `fields` (anything with the event fields of the schema by name, as
   * avsc reads records) plus `security` and `enrichment`. Throws as avsc's toBuffer does on a
   * value that does not fit the schema.
   */
  write(arena: ValueArena, fields: unknown, security: Readonly<SecurityRecord> | null, enrichment: Enrichment): Buffer {
    const securityBytes = this.securityOf(security);
    return arena.write((buf, start) => {
      if (start + HEADER_BYTES > buf.length) return -1;
      buf[start] = MAGIC_BYTE;
      buf.writeUInt32BE(this.schemaId, start + 1);
      const pos = this.head.encode(fields, buf, start + HEADER_BYTES);
      if (pos < 0 || pos + securityBytes.length > buf.length) return -1;
      buf.set(securityBytes, pos);
      return this.enrichment.encode(enrichment, buf, pos + securityBytes.length);
    });
  }
}
