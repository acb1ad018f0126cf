import fc from 'fast-check';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AlertEngine } from '../../../src/alerts/engine.js';
import { alertsSchema } from '../../../src/alerts/rules-schema.js';
import { DEFAULT_IP_FIELDS } from '../../../src/config/schema.js';
import { Enricher } from '../../../src/enrich/enricher.js';
import { enrichFiles } from '../../../src/file-mode/enrich-files.js';
import { Progress } from '../../../src/file-mode/progress.js';
import { accessEventRecord, anyText, authEventRecord, clientIpText } from '../../helpers/arbitraries.js';
import { indexOf, sourceOf } from '../../helpers/build-index.js';
import { params, timeoutMs } from '../../helpers/property.js';

/**
 * File mode on random input (README "Enriching files"): every non-blank line yields exactly one
 * of an enriched output line (in input order, every input field kept, `security` and
 * `enrichment` added or replaced) or a reject naming its line number and reason; blank lines
 * yield nothing. Line endings may be \n or \r\n, the last line may lack one, and the input
 * arrives in chunks cut anywhere, inside a multi-byte character included.
 */

const index = indexOf([
  sourceOf('sample', [
    ['2.56.188.34', { is_proxy: true, is_vpn: true, is_known_attacker: true }],
    ['185.220.101.0/24', { is_tor: true }],
  ]),
]);
const extraction = { ip_fields: [...DEFAULT_IP_FIELDS], xff_field: 'x_forwarded_for', trusted_proxies: [] };
const quiet = new Progress(process.stderr, false);
// Shared by every run: alert suppression state does not change what a line yields.
const enricher = new Enricher({ index: { current: index }, extraction });
const alerts = new AlertEngine(alertsSchema.parse({}), { clock: () => 0 });
const SOURCES = ['index', 'remote', 'cache', 'none', 'private', 'invalid'];

/** One line's text: no \n, and no \r at its end (the reader takes that as part of "\r\n"). */
const line = fc
  .oneof(
    { weight: 4, arbitrary: fc.oneof(accessEventRecord, authEventRecord).map((r) => JSON.stringify(r)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }), fc.option(clientIpText), fc.option(fc.jsonValue({ maxDepth: 1 })))
        .map(([fields, ip, security]) => JSON.stringify({ ...fields, ...(ip === null ? {} : { client_ip: ip }), ...(security === null ? {} : { security }) })),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.tuple(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1, maxKeys: 3 }), fc.nat()).map(([o, at]) => JSON.stringify(o).slice(0, 1 + (at % 20))) },
    { weight: 1, arbitrary: anyText },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t', '{}', '  { }  ', 'null', '[]', '"text"', '{"a":1}{"b":2}', '\ufeff{}', '{"client_ip":"2.56.188.34"}') },
  )
  .map((s) => s.replace(/\n/g, ' ').replace(/\r+$/, ''));

function chunked(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out.filter((b) => b.length > 0);
}

function withoutOutputs(o: Record<string, unknown>): Record<string, unknown> {
  const { security: _s, enrichment: _e, ...rest } = o;
  return rest;
}

describe('file mode on random lines', () => {
  it(
    'turns every non-blank line into one enriched line or one reject with its line number and reason',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(line, { minLength: 1, maxLength: 25 }),
          fc.constantFrom('\n', '\r\n'),
          fc.boolean(),
          fc.array(fc.nat(), { maxLength: 6 }),
          fc.integer({ min: 1, max: 8 }),
          async (lines, eol, trailing, cuts, batchSize) => {
            const text = lines.join(eol) + (trailing ? eol : '');
            const stdout = new PassThrough();
            const stderr = new PassThrough();
            const out: Buffer[] = [];
            const err: Buffer[] = [];
            stdout.on('data', (c: Buffer) => out.push(c));
            stderr.on('data', (c: Buffer) => err.push(c));
            const summary = await enrichFiles({
              inputs: [],
              stdin: Readable.from(chunked(Buffer.from(text, 'utf8'), cuts)),
              stdout,
              stderr,
              batchSize,
              enricher,
              alerts,
              progress: quiet,
            });
            const outLines = Buffer.concat(out).toString('utf8').split('\n').filter((l) => l.length > 0);
            const rejects = Buffer.concat(err)
              .toString('utf8')
              .split('\n')
              .filter((l) => l.length > 0)
              .map((l) => JSON.parse(l) as { line: number; reason: string; raw: string });

            const wantObjects: Record<string, unknown>[] = [];
            const wantRejects: { line: number; raw: string; reason: RegExp }[] = [];
            lines.forEach((t, i) => {
              if (t.trim().length === 0) return;
              let value: unknown;
              try {
                value = JSON.parse(t);
              } catch {
                wantRejects.push({ line: i + 1, raw: t, reason: /^invalid JSON: / });
                return;
              }
              if (value === null || typeof value !== 'object' || Array.isArray(value)) {
                const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
                wantRejects.push({ line: i + 1, raw: t, reason: new RegExp(`^not a JSON object: ${type}$`) });
              } else {
                wantObjects.push(value as Record<string, unknown>);
              }
            });

            expect(rejects.map((r) => [r.line, r.raw])).toEqual(wantRejects.map((r) => [r.line, r.raw]));
            rejects.forEach((r, i) => { expect(r.reason).toMatch(wantRejects[i]!.reason); });
            expect(outLines).toHaveLength(wantObjects.length);
            outLines.forEach((l, i) => {
              const o = JSON.parse(l) as Record<string, unknown>;
              expect(withoutOutputs(o)).toEqual(withoutOutputs(wantObjects[i]!));
              const enrichment = o.enrichment as { source: string };
              expect(SOURCES).toContain(enrichment.source);
              expect(o.security === null).toBe(enrichment.source === 'invalid' || enrichment.source === 'private');
              expect(l.match(/"enrichment":/g)?.length ?? 0).toBeGreaterThanOrEqual(1);
            });
            expect(summary).toMatchObject({ lines: wantObjects.length + wantRejects.length, events: wantObjects.length, rejected: wantRejects.length });
          },
        ),
        params(51, 1_000),
      );
    },
    timeoutMs(8_000),
  );
});
