import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../paths.js';
import type { AvroRecord } from './schema-types.js';
import { isRecord } from './schema-types.js';

export const BUNDLED_SCHEMAS = ['AccessEvent', 'AuthEvent', 'Security', 'Enrichment', 'Alert'] as const;
export type BundledSchemaName = (typeof BUNDLED_SCHEMAS)[number];

const cache = new Map<string, AvroRecord>();

/** A bundled schema from schemas/NAME.avsc, parsed once; callers get a deep copy to extend. */
export function bundledSchema(name: BundledSchemaName): AvroRecord {
  let schema = cache.get(name);
  if (!schema) {
    const parsed: unknown = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'schemas', `${name}.avsc`), 'utf8'));
    if (!isRecord(parsed)) throw new Error(`schemas/${name}.avsc is not an Avro record schema`);
    schema = parsed;
    cache.set(name, schema);
  }
  return structuredClone(schema);
}
