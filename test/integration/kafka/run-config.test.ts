// `iprisk run` refuses a configuration it cannot run with, before it reaches for Kafka
// (SPEC section 9: every problem listed by path; exit status 2 as for any invalid config).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iprisk } from '../../helpers/cli.js';
import { assertBuilt, writeConfig } from '../../helpers/kafka.js';

let dir = '';

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'iprisk-run-config-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A broker address nothing listens on: a run that got as far as Kafka would hang or fail differently. */
const NOWHERE = ['127.0.0.1:1'];

function problemLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('  - '))
    .map((l) => l.slice(4));
}

describe('iprisk run with a configuration it cannot run', () => {
  it('exits 2 naming inputs and schema_registry.url when there is no input and Avro output has no registry', () => {
    const file = writeConfig(dir, { kafka: { brokers: NOWHERE }, http: { port: 0 } }, 'no-inputs.yaml');
    const result = iprisk(['run', '-c', file]);
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain(file);
    const problems = problemLines(result.stderr);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^inputs: /);
    expect(problems[1]).toMatch(/^schema_registry\.url: /);
  });

  it('exits 2 naming schema_registry.url when an auto or Avro input has no registry, even with JSON outputs', () => {
    const file = writeConfig(
      dir,
      {
        kafka: { brokers: NOWHERE },
        inputs: [{ topic: 'access-logs', kind: 'access', format: 'avro' }],
        outputs: { enriched: { format: 'json' }, alerts: { format: 'json' } },
        http: { port: 0 },
      },
      'avro-no-registry.yaml',
    );
    const result = iprisk(['run', '-c', file]);
    expect(result.status, result.stderr).toBe(2);
    expect(problemLines(result.stderr)).toEqual([expect.stringMatching(/^schema_registry\.url: .*registry/)]);
  });

  it('exits 2 naming alerts.retro.enabled when retro-alerts are on but the index can never be swapped', () => {
    const base = {
      kafka: { brokers: NOWHERE },
      inputs: [{ topic: 'auth-events', kind: 'auth', format: 'json' }],
      outputs: { enriched: { format: 'json' }, alerts: { format: 'json' } },
      http: { port: 0 },
    };
    for (const [name, config] of [
      ['retro-sample-index.yaml', { ...base, alerts: { retro: { enabled: true } } }],
      ['retro-no-watch.yaml', { ...base, index: { path: 'index.snap', watch: false }, alerts: { retro: { enabled: true } } }],
    ] as const) {
      const result = iprisk(['run', '-c', writeConfig(dir, config, name)]);
      expect(result.status, result.stderr).toBe(2);
      expect(problemLines(result.stderr), name).toEqual([expect.stringMatching(/^alerts\.retro\.enabled: .*index\.path.*index\.watch/)]);
    }
    const off = iprisk(['run', '-c', writeConfig(dir, { ...base, index: { path: 'index.snap' }, alerts: { enabled: false, retro: { enabled: true } } }, 'retro-alerts-off.yaml')]);
    expect(off.status, off.stderr).toBe(2);
    expect(problemLines(off.stderr)).toEqual([expect.stringMatching(/^alerts\.retro\.enabled: retro-alerts need alerts\.enabled/)]);
  });

  it('exits 2 listing every invalid value by its path at once', () => {
    const file = writeConfig(
      dir,
      {
        kafka: { brokers: ['not a broker'], session_timeout_ms: 10 },
        inputs: [
          { topic: 'access-logs', kind: 'weblog' },
          { topic: 'access-logs', kind: 'access' },
        ],
        pipeline: { shutdown_deadline_ms: -1 },
      },
      'invalid.yaml',
    );
    const result = iprisk(['run', '-c', file]);
    expect(result.status, result.stderr).toBe(2);
    const paths = problemLines(result.stderr).map((l) => l.split(':')[0]);
    expect(paths).toEqual(expect.arrayContaining(['kafka.brokers.0', 'kafka.session_timeout_ms', 'inputs.0.kind', 'inputs.1.topic', 'pipeline.shutdown_deadline_ms']));
  });
});
