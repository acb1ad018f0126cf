import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { iprisk } from '../helpers/cli.js';
import { sharedData } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

// Real feeds: blocklist.de lists 34.89.198.88 as an attacker and as a bot, and it lies in
// Googlebot's 34.89.198.80/28; 104.248.153.92 is in both blocklist.de files and no Google file
// (test/unit/feeds/known-good.test.ts checks both facts against the files).
const GOOGLEBOT = '34.89.198.88';
const OTHER = '104.248.153.92';

interface Answer {
  ip: string;
  security: Record<string, unknown>;
  provenance?: { matched_network: string | null; sources: string[]; known_good: { source: string; provider: string }[] };
}

let dir: string;
let snap: string;

beforeAll(() => {
  dir = tempDir('iprisk-benign-');
  snap = path.join(dir, 'index.snap');
  writeFileSync(
    path.join(dir, 'sources.yaml'),
    [
      'sources:',
      `  - { name: blocklist-de, format: netset, meaning: attacker, path: ${sharedData('abuse', 'firehol', 'blocklist_de.ipset')} }`,
      `  - { name: blocklist-de-bots, format: netset, meaning: bot, path: ${sharedData('abuse', 'firehol', 'blocklist_de_bots.ipset')} }`,
      `  - { name: googlebot, format: gcp, meaning: benign, provider: Googlebot, path: ${sharedData('benign', 'google', 'googlebot.json')} }`,
      '',
    ].join('\n'),
  );
  const built = iprisk(['index', 'build', '-c', path.join(dir, 'sources.yaml'), '-o', snap]);
  expect(built.status, built.stderr).toBe(0);
  expect(built.stderr).toMatch(/googlebot\s+gcp\s+315 networks\s+0 problems\s+\(benign: Googlebot\)/);
});

function lookup(args: readonly string[]): Answer[] {
  const result = iprisk(['lookup', ...args]);
  expect(result.status, result.stderr).toBe(0);
  // One IP prints one object, several an array.
  const parsed = JSON.parse(result.stdout) as Answer | Answer[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

describe('iprisk index build and lookup with a benign source', () => {
  it('answers a Googlebot address that blocklist.de lists without is_bot or is_known_attacker, and another listed address with both', () => {
    const [google, other] = lookup(['--index', snap, GOOGLEBOT, OTHER]);
    expect(google!.security).toMatchObject({ is_known_attacker: false, is_bot: false, is_spam: false, threat_score: 0 });
    expect(other!.security).toMatchObject({ is_known_attacker: true, is_bot: true, threat_score: 45 });
  });

  it('names the benign source and its provider with --explain', () => {
    const [google, other] = lookup(['--index', snap, '--explain', GOOGLEBOT, OTHER]);
    expect(google!.provenance).toEqual({
      matched_network: `${GOOGLEBOT}/32`,
      sources: ['blocklist-de', 'blocklist-de-bots', 'googlebot'],
      known_good: [{ source: 'googlebot', provider: 'Googlebot' }],
    });
    expect(other!.provenance).toEqual({ matched_network: `${OTHER}/32`, sources: ['blocklist-de', 'blocklist-de-bots'], known_good: [] });
  });

  it('shows the benign source with what it cleared in index inspect', () => {
    const text = iprisk(['index', 'inspect', snap]);
    expect(text.stdout).toMatch(/googlebot\s+Googlebot\s+1\s+0/);
    const json = JSON.parse(iprisk(['index', 'inspect', '--json', snap]).stdout) as { sources: { name: string; benign: unknown }[] };
    expect(json.sources.find((s) => s.name === 'googlebot')?.benign).toEqual({ provider: 'Googlebot', cleared_ranges_v4: 1, cleared_ranges_v6: 0 });
  });
});

describe('the allowlist of the main config', () => {
  it('takes effect in lookup and enrich without rebuilding the index', () => {
    const config = path.join(dir, 'iprisk.yaml');
    writeFileSync(config, `index: { path: index.snap }\nallowlist:\n  - { name: partner, cidrs: ["104.248.153.0/24"] }\n`);
    const [other] = lookup(['-c', config, '--explain', OTHER]);
    expect(other!.security).toMatchObject({ is_known_attacker: false, is_bot: false, threat_score: 0 });
    expect(other!.provenance?.known_good).toEqual([{ source: 'allowlist:partner', provider: 'partner' }]);

    const enriched = iprisk(['enrich', '-c', config, '-q', '-'], { input: `{"client_ip":"${OTHER}"}\n{"client_ip":"103.191.240.115"}\n` });
    expect(enriched.status, enriched.stderr).toBe(0);
    const [inside, outside] = enriched.stdout.trim().split('\n').map((l) => JSON.parse(l) as { security: Record<string, unknown> });
    expect(inside!.security).toMatchObject({ is_known_attacker: false, is_bot: false, threat_score: 0 });
    // Listed by both blocklist.de files and outside the allowlist: its flags stay.
    expect(outside!.security).toMatchObject({ is_known_attacker: true, is_bot: true, threat_score: 45 });
  });

  it('refuses to start on a bad CIDR, naming it and its field path, with exit status 2', () => {
    const config = path.join(dir, 'bad.yaml');
    writeFileSync(config, `index: { path: index.snap }\nallowlist:\n  - { name: partner, cidrs: ["104.248.153.0/24", "104.248.300.0/24"] }\n`);
    const result = iprisk(['lookup', '-c', config, OTHER]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("allowlist.0.cidrs.1: '104.248.300.0/24' is not a network");
  });
});
