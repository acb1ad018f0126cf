import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { iprisk } from '../helpers/cli.js';
import { sharedData } from '../helpers/paths.js';

// Two real source sets: the later one adds the Tor Project's bulk exit list.
const VPN = `  - { name: x4b-vpn-v4, format: netset, meaning: vpn, path: ${sharedData('vpn', 'x4bnet', 'output', 'vpn', 'ipv4.txt')} }\n`;
const TOR = `  - { name: tor-bulk-exit-list, format: tor-exits, path: ${sharedData('tor', 'torbulkexitlist')} }\n`;
const TOR_EXIT = readFileSync(sharedData('tor', 'torbulkexitlist'), 'utf8').split('\n').find((l) => /^\d/.test(l))!.trim();

const EARLY = '2025-06-01T00:00:00.000Z';
const BOUNDARY = '2025-06-10T00:00:00.000Z';

interface Inspected {
  history: string;
  files: number;
  snapshots: { valid_from: string; valid_until: string | null; version: string; file: string; flagged_ranges: Record<string, number> }[];
}

function setup(): { dir: string; history: string; build: (sources: 'early' | 'late', validFrom: string, out: string) => ReturnType<typeof iprisk> } {
  const dir = mkdtempSync(path.join(tmpdir(), 'iprisk-cli-history-'));
  writeFileSync(path.join(dir, 'early.yaml'), `sources:\n${VPN}`);
  writeFileSync(path.join(dir, 'late.yaml'), `sources:\n${VPN}${TOR}`);
  const history = path.join(dir, 'history');
  return {
    dir,
    history,
    build: (sources, validFrom, out) =>
      iprisk(['index', 'build', '-c', path.join(dir, `${sources}.yaml`), '-o', path.join(dir, out), '--valid-from', validFrom, '--history', history]),
  };
}

function versionOf(file: string): string {
  return (JSON.parse(iprisk(['index', 'inspect', '--json', file]).stdout) as { version: string }).version;
}

describe('iprisk index build --history and index inspect DIR', () => {
  it('files two real-feed snapshots with their validity and lists them', () => {
    const { dir, history, build } = setup();
    expect(build('early', EARLY, 'early.snap').status).toBe(0);
    const late = build('late', BOUNDARY, 'late.snap');
    expect(late.status).toBe(0);
    expect(late.stderr).toContain(`history ${history}: valid from ${BOUNDARY}`);

    const inspected = JSON.parse(iprisk(['index', 'inspect', '--json', history]).stdout) as Inspected;
    expect(inspected.snapshots.map((s) => [s.valid_from, s.valid_until, s.version])).toEqual([
      [EARLY, BOUNDARY, versionOf(path.join(dir, 'early.snap'))],
      [BOUNDARY, null, versionOf(path.join(dir, 'late.snap'))],
    ]);
    expect(inspected.snapshots[0]!.flagged_ranges.is_tor).toBe(0);
    expect(inspected.snapshots[1]!.flagged_ranges.is_tor).toBeGreaterThan(0);
    // The -o file carries its validity too.
    expect((JSON.parse(iprisk(['index', 'inspect', '--json', path.join(dir, 'late.snap')]).stdout) as { valid_from: string }).valid_from).toBe(BOUNDARY);

    const text = iprisk(['index', 'inspect', history]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('2 periods, 2 distinct contents');
    expect(text.stdout).toMatch(new RegExp(`${BOUNDARY}\\s+${versionOf(path.join(dir, 'late.snap'))}\\s`));
    // The filed snapshot answers as the built one does.
    const filed = path.join(history, inspected.snapshots[1]!.file);
    expect(JSON.parse(iprisk(['lookup', '--index', filed, TOR_EXIT]).stdout)).toMatchObject({ security: { is_tor: true } });
  });

  it('does not grow the folder when the same sources are built again later', () => {
    const { history, build } = setup();
    build('late', BOUNDARY, 'a.snap');
    const manifest = readFileSync(path.join(history, 'manifest.json'), 'utf8');
    const again = build('late', '2025-06-11T00:00:00Z', 'b.snap');
    expect(again.status).toBe(0);
    expect(again.stderr).toContain(`history ${history}: unchanged, the same content is in force since ${BOUNDARY}`);
    expect(readFileSync(path.join(history, 'manifest.json'), 'utf8')).toBe(manifest);
    expect(readdirSync(history).sort()).toHaveLength(2);
  });

  it('refuses a --valid-from without a zone, naming the option and the value', () => {
    const { build } = setup();
    const result = build('early', '2025-06-01T10:00', 'x.snap');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("--valid-from: '2025-06-01T10:00' is not an ISO 8601 date or date-time with a zone");
  });

  it('says which manifest field is wrong in a damaged history', () => {
    const { history, build } = setup();
    build('early', EARLY, 'x.snap');
    const manifest = JSON.parse(readFileSync(path.join(history, 'manifest.json'), 'utf8')) as { snapshots: { version: unknown }[] };
    manifest.snapshots[0]!.version = 7;
    writeFileSync(path.join(history, 'manifest.json'), JSON.stringify(manifest));
    const result = iprisk(['index', 'inspect', history]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('snapshots.0.version');
  });
});
