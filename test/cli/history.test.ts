import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { iprisk } from '../helpers/cli.js';
import { sharedData } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

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
  const dir = tempDir('iprisk-cli-history-');
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

interface Enriched {
  n: number;
  security: { is_tor: boolean; is_vpn: boolean } | null;
  enrichment: { source: string; index_version: string; stale: boolean; enriched_at: number };
}

function outputLines(text: string): Enriched[] {
  return text
    .split('\n')
    .filter((l) => l)
    .map((l) => JSON.parse(l) as Enriched);
}

describe('iprisk enrich --history', () => {
  // A VPN range of X4B's list ("a.b.c.d/n" lines), by its first address.
  const VPN_ADDRESS = readFileSync(sharedData('vpn', 'x4bnet', 'output', 'vpn', 'ipv4.txt'), 'utf8').split('\n')[0]!.split('/')[0]!;
  const events = [
    { n: 0, timestamp: '2025-06-09T23:59:59.999Z', client_ip: TOR_EXIT, user: 'a', outcome: 'failure' },
    { n: 1, timestamp: BOUNDARY, client_ip: TOR_EXIT, user: 'b', outcome: 'failure' },
    { n: 2, timestamp: '2025-05-20T08:00:00Z', client_ip: VPN_ADDRESS, user: 'c' },
    { n: 3, client_ip: TOR_EXIT, user: 'd' },
    // Epoch seconds, an hour after the boundary.
    { n: 4, ts: Date.parse(BOUNDARY) / 1000 + 3600, client_ip: TOR_EXIT, user: 'e' },
    { n: 5, timestamp: '2025-05-20T08:00:00Z', client_ip: '10.20.30.40', user: 'f' },
  ];
  const input = `${events.map((e) => JSON.stringify(e)).join('\n')}\nnot an event\n`;

  it('gives each event its own period\'s verdict and version, and events older than the history stale', () => {
    const { dir, history, build } = setup();
    build('early', EARLY, 'early.snap');
    build('late', BOUNDARY, 'late.snap');
    const early = versionOf(path.join(dir, 'early.snap'));
    const late = versionOf(path.join(dir, 'late.snap'));

    const result = iprisk(['enrich', '--history', history, '--workers', '1', '--rejects', path.join(dir, 'rejects.jsonl')], { input });
    expect(result.status, result.stderr).toBe(0);
    const out = outputLines(result.stdout);
    expect(out.map((e) => e.n)).toEqual([0, 1, 2, 3, 4, 5]);

    // A millisecond before the boundary the Tor list was not filed yet; from it on, it was.
    expect(out[0]!.security?.is_tor).toBe(false);
    expect(out[0]!.enrichment).toMatchObject({ source: 'none', index_version: early, stale: false });
    for (const e of [out[1]!, out[4]!]) {
      expect(e.security?.is_tor).toBe(true);
      expect(e.enrichment).toMatchObject({ source: 'index', index_version: late, stale: false });
    }
    // Older than the history: its oldest snapshot answers, marked stale; a private address is never looked up.
    expect(out[2]!.security?.is_vpn).toBe(true);
    expect(out[2]!.enrichment).toMatchObject({ source: 'index', index_version: early, stale: true });
    expect(out[5]!.enrichment).toMatchObject({ source: 'private', index_version: early, stale: false });
    // No time: the newest snapshot.
    expect(out[3]!.enrichment).toMatchObject({ index_version: late, stale: false });
    expect(readFileSync(path.join(dir, 'rejects.jsonl'), 'utf8')).toContain('"line":7');
  });

  it('writes the same lines, alerts and rejects with two workers as with one', () => {
    const { dir, history, build } = setup();
    build('early', EARLY, 'early.snap');
    build('late', BOUNDARY, 'late.snap');
    // Enough copies for several 1 MiB chunks, so that both workers get some.
    const COPIES = 8000;
    const events = path.join(dir, 'events.jsonl');
    writeFileSync(events, Array.from({ length: COPIES }, () => input).join(''));
    const run = (workers: string): { lines: string; alerts: string; rejects: string } => {
      const [out, alerts, rejects] = ['out', 'alerts', 'rejects'].map((f) => path.join(dir, `${f}-${workers}.jsonl`)) as [string, string, string];
      const result = iprisk(['enrich', '--history', history, '--workers', workers, '-o', out, '--alerts', alerts, '--rejects', rejects, events]);
      expect(result.status, result.stderr).toBe(0);
      return { lines: readFileSync(out, 'utf8').replace(/"enriched_at":\d+/g, ''), alerts: readFileSync(alerts, 'utf8'), rejects: readFileSync(rejects, 'utf8') };
    };
    const one = run('1');
    expect(one.lines.split('\n').filter((l) => l)).toHaveLength(COPIES * 6);
    expect(one.rejects.split('\n').filter((l) => l)).toHaveLength(COPIES);
    expect(run('2')).toEqual(one);
  });

  it('refuses --index together with --history, and a folder without a history', () => {
    const { dir, history, build } = setup();
    build('early', EARLY, 'early.snap');
    const both = iprisk(['enrich', '--history', history, '--index', path.join(dir, 'early.snap')], { input });
    expect(both.status).toBe(1);
    expect(both.stderr).toContain('--index');
    const empty = iprisk(['enrich', '--history', dir], { input });
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain(`snapshot history ${dir} holds no snapshot`);
  });
});

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

  it('refuses to inspect a folder that holds no history, as enrich --history refuses it', () => {
    const { dir } = setup();
    const result = iprisk(['index', 'inspect', dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`snapshot history ${dir} holds no snapshot`);
  });
});
