import type { SecurityField } from '../security/record.js';
import { SECURITY_FIELDS, emptySecurity } from '../security/record.js';

export const EVENT_KINDS = ['access', 'auth'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** SPEC section 3: the `source` of an `enrichment` record. */
export const ENRICHMENT_SOURCES = ['index', 'remote', 'cache', 'none', 'private', 'invalid'] as const;

/** What a field holds, as far as it is known before any event is seen. */
export type ValueType = 'number' | 'boolean' | 'string' | 'string[]' | 'unknown';

/**
 * A field a rule condition or a summary placeholder names, resolved once at load:
 * `security.<field>`, `event.<dot.path>`, `kind`, `ip` or `enrichment.source`.
 */
export type FieldRef =
  | { readonly ns: 'security'; readonly name: string; readonly type: ValueType; readonly field: SecurityField }
  | { readonly ns: 'event'; readonly name: string; readonly type: 'unknown'; readonly segments: readonly string[] }
  | {
      readonly ns: 'kind' | 'ip' | 'enrichment.source';
      readonly name: string;
      readonly type: 'string';
      /** The closed set of values the field can take, when there is one. */
      readonly values?: readonly string[];
    };

export type FieldRefResult = { ok: true; ref: FieldRef } | { ok: false; message: string };

const SECURITY_TYPES: ReadonlyMap<string, ValueType> = (() => {
  // The types come from the record's own defaults so a field added there is known here too.
  const defaults = emptySecurity();
  const types = new Map<string, ValueType>();
  for (const field of SECURITY_FIELDS) {
    const value: unknown = defaults[field];
    types.set(field, Array.isArray(value) ? 'string[]' : (typeof value as 'number' | 'boolean' | 'string'));
  }
  return types;
})();

export const FIELD_NAMESPACES_HINT = 'security.<field>, event.<path>, kind, ip or enrichment.source';

export function parseFieldRef(text: string): FieldRefResult {
  const name = text.trim();
  if (name === 'kind') return { ok: true, ref: { ns: 'kind', name, type: 'string', values: EVENT_KINDS } };
  if (name === 'ip') return { ok: true, ref: { ns: 'ip', name, type: 'string' } };
  if (name === 'enrichment.source') {
    return { ok: true, ref: { ns: 'enrichment.source', name, type: 'string', values: ENRICHMENT_SOURCES } };
  }
  if (name.startsWith('security.')) {
    const field = name.slice('security.'.length);
    const type = SECURITY_TYPES.get(field);
    if (type === undefined) {
      return { ok: false, message: `unknown security field '${field}' (known: ${SECURITY_FIELDS.join(', ')})` };
    }
    return { ok: true, ref: { ns: 'security', name, type, field: field as SecurityField } };
  }
  if (name.startsWith('event.')) {
    const segments = name.slice('event.'.length).split('.');
    if (segments.some((s) => s === '')) {
      return { ok: false, message: `event path '${name}' has an empty segment` };
    }
    return { ok: true, ref: { ns: 'event', name, type: 'unknown', segments } };
  }
  return { ok: false, message: `unknown field '${name}': use ${FIELD_NAMESPACES_HINT}` };
}
