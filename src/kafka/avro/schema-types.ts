/** The JSON form of Avro schemas, as far as iprisk reads and writes it. */
export type AvroSchema = string | AvroSchema[] | AvroComplex;

export interface AvroField {
  name: string;
  type: AvroSchema;
  default?: unknown;
  doc?: string;
  aliases?: string[];
  order?: string;
}

export interface AvroComplex {
  type: string | AvroSchema;
  name?: string;
  namespace?: string;
  fields?: AvroField[];
  symbols?: string[];
  items?: AvroSchema;
  values?: AvroSchema;
  logicalType?: string;
  doc?: string;
  [key: string]: unknown;
}

export interface AvroRecord extends AvroComplex {
  type: 'record';
  name: string;
  fields: AvroField[];
}

export function isRecord(schema: unknown): schema is AvroRecord {
  return (
    typeof schema === 'object' &&
    schema !== null &&
    !Array.isArray(schema) &&
    (schema as AvroComplex).type === 'record' &&
    Array.isArray((schema as AvroComplex).fields)
  );
}
