import type { SecurityField, SecurityRecord } from './record.js';
import { SECURITY_FIELDS } from './record.js';

/** One answer of the security API: `{ip, security}` with `security` possibly trimmed. */
export interface SecurityAnswer {
  ip: string;
  security?: Partial<SecurityRecord>;
}

/**
 * A compiled `fields` / `excludes` pair (ipgeolocation dot paths such as `security.is_vpn`).
 * Compiled once per request or command, applied per answer. `ip` is never removed. Paths that
 * name no response field are ignored, as the original API ignores them.
 */
export class Projection {
  /** Security fields kept, in record order; null when the whole object is kept untouched. */
  readonly keep: readonly SecurityField[] | null;
  readonly includeSecurity: boolean;

  constructor(fields?: string | readonly string[], excludes?: string | readonly string[]) {
    const wanted = splitPaths(fields);
    const unwanted = splitPaths(excludes);
    let keep: Set<SecurityField> | null = null;
    let includeSecurity = true;
    if (wanted.length > 0) {
      keep = new Set();
      includeSecurity = false;
      for (const path of wanted) {
        if (path === 'security' || path === 'security.*' || path === '*') {
          for (const f of SECURITY_FIELDS) keep.add(f);
          includeSecurity = true;
        } else {
          const field = securityField(path);
          if (field) {
            keep.add(field);
            includeSecurity = true;
          }
        }
      }
    }
    for (const path of unwanted) {
      if (path === 'security') {
        includeSecurity = false;
        continue;
      }
      const field = securityField(path);
      if (!field) continue;
      keep ??= new Set(SECURITY_FIELDS);
      keep.delete(field);
    }
    this.includeSecurity = includeSecurity;
    this.keep = keep === null ? null : SECURITY_FIELDS.filter((f) => keep.has(f));
  }

  get isIdentity(): boolean {
    return this.includeSecurity && this.keep === null;
  }

  apply(ip: string, security: SecurityRecord): SecurityAnswer {
    if (!this.includeSecurity) return { ip };
    if (this.keep === null) return { ip, security };
    const trimmed = Object.fromEntries(this.keep.map((f) => [f, security[f]])) as Partial<SecurityRecord>;
    return { ip, security: trimmed };
  }
}

function splitPaths(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const parts = typeof value === 'string' ? value.split(',') : value.flatMap((v) => v.split(','));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function securityField(path: string): SecurityField | undefined {
  const name = path.startsWith('security.') ? path.slice('security.'.length) : path;
  return (SECURITY_FIELDS as readonly string[]).includes(name) ? (name as SecurityField) : undefined;
}
