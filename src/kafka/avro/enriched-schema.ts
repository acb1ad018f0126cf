import type { AvroField, AvroRecord, AvroSchema } from './schema-types.js';
import { isRecord } from './schema-types.js';
import { bundledSchema } from './bundled.js';

const OUR_NAMESPACE = 'io.iprisk';

function fullName(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

/** Full names of every named type a schema defines, so added types never collide with them. */
function definedNames(schema: AvroSchema, namespace: string | undefined, out: Set<string>): void {
  if (Array.isArray(schema)) {
    for (const branch of schema) definedNames(branch, namespace, out);
    return;
  }
  if (typeof schema !== 'object') return;
  const ns = typeof schema.namespace === 'string' ? schema.namespace : namespace;
  if (typeof schema.name === 'string' && typeof schema.type === 'string' && ['record', 'enum', 'fixed', 'error'].includes(schema.type)) {
    out.add(fullName(schema.name, ns));
  }
  const inner = fullName(typeof schema.name === 'string' ? schema.name : '', ns);
  const innerNs = inner.includes('.') ? inner.slice(0, inner.lastIndexOf('.')) : ns;
  for (const field of schema.fields ?? []) definedNames(field.type, innerNs, out);
  if (schema.items !== undefined) definedNames(schema.items, ns, out);
  if (schema.values !== undefined) definedNames(schema.values, ns, out);
  if (typeof schema.type === 'object') definedNames(schema.type, ns, out);
}

function nullableField(name: string, type: AvroSchema, doc: string): AvroField {
  return { name, type: ['null', type], default: null, doc };
}

/** The Security and Enrichment types, or references to them when the schema defines them already. */
function ourTypes(existing: Set<string>): { security: AvroSchema; enrichment: AvroSchema } {
  const security = `${OUR_NAMESPACE}.Security`;
  const enrichment = `${OUR_NAMESPACE}.Enrichment`;
  return {
    security: existing.has(security) ? security : { ...bundledSchema('Security'), namespace: OUR_NAMESPACE },
    enrichment: existing.has(enrichment) ? enrichment : { ...bundledSchema('Enrichment'), namespace: OUR_NAMESPACE },
  };
}

/**
 * The output schema for an Avro input (SPEC section 3): the writer schema with two nullable
 * fields appended, `security` and `enrichment`, default null, so readers of the input schema
 * can read the output too. Fields of those names in the writer schema are replaced: re-enriching
 * an already enriched topic refreshes the answer rather than failing.
 */
export function enrichedSchemaFor(writer: AvroRecord): AvroRecord {
  if (!isRecord(writer)) throw new Error('the writer schema is not an Avro record');
  const fields = writer.fields.filter((f) => f.name !== 'security' && f.name !== 'enrichment');
  const kept: AvroRecord = { ...writer, fields };
  const names = new Set<string>();
  definedNames(kept, undefined, names);
  const types = ourTypes(names);
  return {
    ...kept,
    fields: [
      ...fields,
      nullableField('security', types.security, 'IP security object (ipgeolocation v3 shape), added by iprisk'),
      nullableField('enrichment', types.enrichment, 'how iprisk found the security object'),
    ],
  };
}

/** Field holding what a JSON event carried beyond its schema, as JSON text per key. */
export const EXTRA_FIELD = 'extra';

/**
 * The bundled output schema for JSON input of a kind: the event schema, an `extra` map that
 * keeps every field the schema does not name (or whose value does not fit its type) as JSON
 * text, so nothing is silently dropped, then `security` and `enrichment`.
 */
export function enrichedJsonSchema(kind: 'access' | 'auth'): AvroRecord {
  const base = bundledSchema(kind === 'access' ? 'AccessEvent' : 'AuthEvent');
  const withExtra: AvroRecord = {
    ...base,
    name: kind === 'access' ? 'EnrichedAccessEvent' : 'EnrichedAuthEvent',
    namespace: OUR_NAMESPACE,
    doc: `${base.doc ?? ''} Enriched by iprisk.`.trim(),
    fields: [
      ...base.fields,
      nullableField(EXTRA_FIELD, { type: 'map', values: 'string' }, 'input fields the schema does not name, or whose value does not fit its type, as JSON text'),
    ],
  };
  return enrichedSchemaFor(withExtra);
}
