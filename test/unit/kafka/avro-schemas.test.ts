import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { enrichedJsonSchema, enrichedSchemaFor } from '../../../src/kafka/avro/enriched-schema.js';
import { JsonRecordConverter } from '../../../src/kafka/avro/json-record.js';
import type { AvroRecord } from '../../../src/kafka/avro/schema-types.js';
import { mergeSignals } from '../../../src/security/score.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const enrichment = {
  ip: '2.56.188.34',
  source: 'index',
  matched_network: '2.56.188.34/32',
  index_version: 'v1',
  enriched_at: 1_772_446_501_000,
  stale: false,
};
const security = mergeSignals([{ is_vpn: true, vpn_provider_names: ['Nord VPN'], is_known_attacker: true }]);

// A writer schema as another team would register it: its own namespace, a nested record and a
// type named like ours in a different namespace.
const foreign: AvroRecord = {
  type: 'record',
  name: 'Login',
  namespace: 'com.example.auth',
  fields: [
    { name: 'at', type: 'long' },
    { name: 'src', type: 'string' },
    { name: 'device', type: { type: 'record', name: 'Security', fields: [{ name: 'trusted', type: 'boolean' }] } },
  ],
};

describe('the output schema of an Avro input', () => {
  it('appends nullable security and enrichment fields defaulting to null', () => {
    const out = enrichedSchemaFor(foreign);
    expect(out.fields.map((f) => f.name)).toEqual(['at', 'src', 'device', 'security', 'enrichment']);
    expect(out.fields.slice(-2).map((f) => f.default)).toEqual([null, null]);
  });

  it('compiles, keeps a same-named type of another namespace apart, and round-trips', () => {
    const type = avro.Type.forSchema(enrichedSchemaFor(foreign) as avro.Schema);
    const value = { at: 1, src: '2.56.188.34', device: { trusted: true }, security, enrichment };
    expect(type.fromBuffer(type.toBuffer(value))).toEqual(value);
  });

  it('lets a reader holding only the writer schema read the output (schema evolution)', () => {
    const writerType = avro.Type.forSchema(foreign as avro.Schema);
    const outType = avro.Type.forSchema(enrichedSchemaFor(foreign) as avro.Schema);
    const resolver = writerType.createResolver(outType);
    const bytes = outType.toBuffer({ at: 1, src: 'x', device: { trusted: false }, security: null, enrichment: null });
    expect(writerType.fromBuffer(bytes, resolver)).toEqual({ at: 1, src: 'x', device: { trusted: false } });
  });

  it('replaces security and enrichment fields an already enriched schema has', () => {
    const once = enrichedSchemaFor(foreign);
    const twice = enrichedSchemaFor(once);
    expect(twice.fields.map((f) => f.name)).toEqual(['at', 'src', 'device', 'security', 'enrichment']);
    expect(() => avro.Type.forSchema(twice as avro.Schema)).not.toThrow();
  });
});

describe('the bundled output schemas of JSON input', () => {
  it('compile for both kinds with an extra map before security and enrichment', () => {
    for (const kind of ['access', 'auth'] as const) {
      const schema = enrichedJsonSchema(kind);
      expect(schema.fields.slice(-3).map((f) => f.name)).toEqual(['extra', 'security', 'enrichment']);
      expect(() => avro.Type.forSchema(schema as avro.Schema)).not.toThrow();
    }
  });

  it('carry every example access event through Avro with nothing lost', () => {
    const schema = enrichedJsonSchema('access');
    const type = avro.Type.forSchema(schema as avro.Schema);
    const converter = new JsonRecordConverter(schema);
    const events = readFileSync(path.join(REPO_ROOT, 'examples', 'access.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const event of events) {
      const record = { ...converter.convert(event, { timestamp: 0 }), security, enrichment };
      const back = type.fromBuffer(type.toBuffer(record)) as Record<string, unknown>;
      expect(back.client_ip).toBe(event.client_ip);
      expect(back.timestamp).toBe(Date.parse(String(event.timestamp)));
      expect(back.status).toBe(event.status);
    }
  });

  it('keeps unknown fields and values that do not fit their type in extra, as JSON text', () => {
    const converter = new JsonRecordConverter(enrichedJsonSchema('auth'));
    const record = converter.convert(
      { timestamp: 'yesterday', ip: '1.2.3.4', action: 'sso_login', outcome: 'failure', user: 42, geo: { cc: 'DE' }, tags: ['a'] },
      { timestamp: 123 },
    );
    expect(record).toMatchObject({ timestamp: 123, ip: '1.2.3.4', action: null, outcome: 'failure', user: null });
    expect(record.extra).toEqual({
      timestamp: '"yesterday"',
      action: '"sso_login"',
      user: '42',
      geo: '{"cc":"DE"}',
      tags: '["a"]',
    });
  });

  it('reads numeric strings into int fields and leaves extra null when everything fits', () => {
    const converter = new JsonRecordConverter(enrichedJsonSchema('access'));
    const record = converter.convert({ timestamp: 1_772_446_501, client_ip: '1.1.1.1', status: '404', bytes: 12 }, { timestamp: 0 });
    expect(record).toMatchObject({ timestamp: 1_772_446_501_000, status: 404, bytes: 12, extra: null });
  });
});
