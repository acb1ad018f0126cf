import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceSchema } from '../../../src/config/sources.js';
import { loadSource } from '../../../src/feeds/load.js';
import { buildIndex } from '../../../src/range-index/build.js';
import { CompiledRangeIndex } from '../../../src/range-index/range-index.js';
import { sharedData } from '../../helpers/paths.js';
import { find } from '../range-index/sources.js';

/** A real Googlebot address: inside googlebot.json's first prefix, 66.249.64.0/27. */
const GOOGLEBOT = '66.249.64.5';

describe('known-good networks (meaning benign) on Google\'s real crawler files', () => {
  it('clear is_bot, is_spam and is_known_attacker that other sources give a Googlebot address, keep the other flags, and recompute the score', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'iprisk-benign-'));
    writeFileSync(path.join(dir, 'abuse.netset'), `# test list\n${GOOGLEBOT}\n203.0.113.9\n`);
    const bad = sourceSchema.parse({ name: 'abuse', format: 'netset', meaning: 'attacker', path: 'abuse.netset' });
    const bots = sourceSchema.parse({ name: 'bots', format: 'netset', meaning: 'bot', path: 'abuse.netset' });
    const vpn = sourceSchema.parse({ name: 'vpn', format: 'netset', meaning: 'vpn', path: 'abuse.netset' });
    const crawler = sourceSchema.parse({ name: 'googlebot', format: 'googlebot', path: sharedData('benign/google/googlebot.json') });
    const asGcp = sourceSchema.parse({
      name: 'special',
      format: 'gcp',
      meaning: 'benign',
      provider: 'Google special crawlers',
      path: sharedData('benign/google/special-crawlers.json'),
    });
    const loaded = await Promise.all([bad, bots, vpn, crawler, asGcp].map((s) => loadSource(s, dir)));
    expect(loaded[3]!.knownGood).toEqual({ provider: 'Googlebot' });
    expect(loaded[3]!.problems).toEqual([]);
    expect(loaded[4]!.entries.every((e) => Object.keys(e.signals).length === 0)).toBe(true);
    const index = new CompiledRangeIndex(buildIndex(loaded));
    const google = find(index, GOOGLEBOT)!;
    expect(google.security.is_known_attacker).toBe(false);
    expect(google.security.is_bot).toBe(false);
    expect(google.security.is_vpn).toBe(true);
    expect(google.security.threat_score).toBe(30);
    expect(google.sources).toContain('googlebot');
  });

  it('refuses a meaning other than benign on a Google crawler format', () => {
    expect(sourceSchema.safeParse({ name: 'g', format: 'googlebot', meaning: 'bot', path: 'x.json' }).success).toBe(false);
  });
});
