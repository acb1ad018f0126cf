import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { iprisk } from '../helpers/cli.js';
import { REPO_ROOT, sharedData } from '../helpers/paths.js';
import { tempDir as makeTempDir } from '../helpers/temp-dir.js';

function tempDir(): string {
  return makeTempDir('iprisk-cli-');
}

function lines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('iprisk index build and inspect', () => {
  it('builds a snapshot from a real Tor list that answers its addresses as Tor exits', () => {
    const dir = tempDir();
    const torList = sharedData('tor', 'torbulkexitlist');
    const firstExit = readFileSync(torList, 'utf8').split('\n').find((l) => /^\d/.test(l))!.trim();
    writeFileSync(path.join(dir, 'sources.yaml'), `sources:\n  - name: tor-bulk\n    format: netset\n    path: ${torList}\n    meaning: tor\n`);
    const snap = path.join(dir, 'tor.snap');
    const built = iprisk(['index', 'build', '-c', path.join(dir, 'sources.yaml'), '-o', snap]);
    expect(built.status).toBe(0);
    expect(built.stderr).toMatch(/built .*tor\.snap/);
    const { stdout } = iprisk(['lookup', '--index', snap, firstExit]);
    expect(JSON.parse(stdout)).toMatchObject({ ip: firstExit, security: { is_tor: true, is_anonymous: true } });

    const inspected = iprisk(['index', 'inspect', snap]);
    expect(inspected.status).toBe(0);
    expect(inspected.stdout).toContain('tor-bulk');
    const json = JSON.parse(iprisk(['index', 'inspect', '--json', snap]).stdout) as { rangesV4?: number; ranges?: { v4: number } };
    expect(JSON.stringify(json)).toContain('tor-bulk');
  });

  it('reports a malformed feed line with file and line, skips it and still builds', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'list.txt'), '# vpn list\n1.2.3.0/24\nthis is not an address\n5.6.7.8\n');
    writeFileSync(path.join(dir, 'sources.yaml'), 'sources:\n  - { name: vpn, format: netset, meaning: vpn, path: list.txt }\n');
    const result = iprisk(['index', 'build', '-c', path.join(dir, 'sources.yaml'), '-o', path.join(dir, 'x.snap')]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`${path.join(dir, 'list.txt')}:3:`);
    expect(result.stderr).toMatch(/1 lines skipped/);
    const answer = JSON.parse(iprisk(['lookup', '--index', path.join(dir, 'x.snap'), '5.6.7.8']).stdout) as { security: { is_vpn: boolean } };
    expect(answer.security.is_vpn).toBe(true);
  });

  it('fails the build naming the source when a feed cannot be read', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'sources.yaml'), 'sources:\n  - { name: gone, format: aws, path: missing.json }\n');
    const result = iprisk(['index', 'build', '-c', path.join(dir, 'sources.yaml'), '-o', path.join(dir, 'x.snap')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('missing.json');
  });

  it('lists every configuration problem by path and exits 2', () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'sources.yaml'),
      'sources:\n  - { name: a, format: netset, path: x }\n  - { name: b, format: bogus, path: y }\n',
    );
    const result = iprisk(['index', 'build', '-c', path.join(dir, 'sources.yaml'), '-o', path.join(dir, 'x.snap')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('sources.0.meaning');
    expect(result.stderr).toContain('sources.1.format');
  });

  it('rejects a snapshot that is not one, naming the file', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'bad.snap'), 'definitely not a snapshot');
    const result = iprisk(['index', 'inspect', path.join(dir, 'bad.snap')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('bad.snap');
  });
});

describe('iprisk enrich on the bundled examples', () => {
  it('enriches every example line in order and writes the alerts the default rules call for', () => {
    const dir = tempDir();
    const out = path.join(dir, 'out.jsonl');
    const alerts = path.join(dir, 'alerts.jsonl');
    const inputs = ['access.jsonl', 'auth.jsonl'].map((f) => path.join(REPO_ROOT, 'examples', f));
    const result = iprisk(['enrich', ...inputs, '-o', out, '--alerts', alerts]);
    expect(result.status).toBe(0);
    const expectedIds = inputs.flatMap((f) => lines(f).map((e) => e.request_id ?? e.user));
    const enriched = lines(out);
    expect(enriched.map((e) => e.request_id ?? e.user)).toEqual(expectedIds);
    expect(enriched.every((e) => 'security' in e && 'enrichment' in e)).toBe(true);
    const rules = lines(alerts).map((a) => `${String(a.rule)} ${String(a.ip)}`);
    // auth.jsonl line 1: a failed login from the sample's Tor range.
    expect(rules).toContain('tor-exit-auth 185.220.101.33');
    expect(rules).toContain('auth-failure-from-anonymous-ip 185.220.101.33');
    // access.jsonl line 1: 2.56.188.34 scores 80.
    expect(rules).toContain('high-threat-score 2.56.188.34');
    expect(result.stderr).toMatch(/18 events from 18 lines/);
  });

  it('reads stdin, sends undecodable lines to the rejects file and exits 0', () => {
    const dir = tempDir();
    const rejects = path.join(dir, 'rejects.jsonl');
    const result = iprisk(['enrich', '--rejects', rejects, '-'], {
      input: '{"client_ip": "2.56.188.34", "request_id": "a"}\nnot json\n{"client_ip": "1.0.0.1", "request_id": "b"}\n',
    });
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { request_id: string }).request_id)).toEqual(['a', 'b']);
    expect(lines(rejects)).toMatchObject([{ file: 'stdin', line: 2, raw: 'not json' }]);
  });

  it('lists --workers in its help, writes the same with 1 and 3 workers, and refuses --workers 0', () => {
    expect(iprisk(['enrich', '--help']).stdout).toMatch(/--workers <n>\s+worker threads/);
    const dir = tempDir();
    const inputs = ['access.jsonl', 'auth.jsonl'].map((f) => path.join(REPO_ROOT, 'examples', f));
    const outputs = [1, 3].map((n) => {
      const out = path.join(dir, `out-${n}.jsonl`);
      const alerts = path.join(dir, `alerts-${n}.jsonl`);
      const result = iprisk(['enrich', '--workers', String(n), ...inputs, '-o', out, '--alerts', alerts]);
      expect(result.status).toBe(0);
      return [readFileSync(out, 'utf8').replace(/"enriched_at":\d+/g, ''), readFileSync(alerts, 'utf8')];
    });
    expect(outputs[1]).toEqual(outputs[0]);
    const refused = iprisk(['enrich', '--workers', '0', inputs[0]!]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('--workers must be a positive integer, got 0');
  });
});
