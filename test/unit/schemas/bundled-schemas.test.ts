import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../helpers/paths.js';
import { SECURITY_FIELDS, emptySecurity } from '../../../src/security/record.js';

interface AvroRecord {
  name: string;
  fields: { name: string; type: unknown; default?: unknown }[];
}

function schema(name: string): AvroRecord {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', `${name}.avsc`), 'utf8')) as AvroRecord;
}

describe('bundled Avro schemas', () => {
  it('give Security the fields of the security object in the documented order', () => {
    expect(schema('Security').fields.map((f) => f.name)).toEqual([...SECURITY_FIELDS]);
  });

  it('default every Security field to the documented "not detected" value', () => {
    const defaults = Object.fromEntries(schema('Security').fields.map((f) => [f.name, f.default]));
    expect(defaults).toEqual(emptySecurity());
  });

  it('give Enrichment the fields SPEC section 3 lists', () => {
    expect(schema('Enrichment').fields.map((f) => f.name)).toEqual([
      'ip', 'source', 'matched_network', 'index_version', 'enriched_at', 'stale',
    ]);
  });

  it('give Alert the fields of SPEC section 4 in order', () => {
    expect(schema('Alert').fields.map((f) => f.name)).toEqual([
      'alert_id', 'rule', 'severity', 'summary', 'ip', 'threat_score', 'event_kind', 'event_time', 'source', 'security',
      'suppressed_count',
    ]);
  });

  it('give the event schemas the fields SPEC section 3 lists', () => {
    expect(schema('AccessEvent').fields.map((f) => f.name)).toEqual([
      'timestamp', 'client_ip', 'method', 'host', 'path', 'status', 'bytes', 'user_agent', 'referrer', 'request_id',
      'x_forwarded_for',
    ]);
    expect(schema('AuthEvent').fields.map((f) => f.name)).toEqual([
      'timestamp', 'ip', 'user', 'action', 'outcome', 'reason', 'user_agent', 'app', 'session_id',
    ]);
  });
});
