import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { sourceSchema } from '../../../src/config/sources.js';
import { explainFromIndex } from '../../../src/enrich/answer.js';
import { loadSource } from '../../../src/feeds/load.js';
import { SnapshotHistory } from '../../../src/history/snapshot-history.js';
import { fileSnapshot } from '../../../src/history/store.js';
import { AllowlistedIndex, allowlistView } from '../../../src/range-index/allowlist.js';
import { buildIndex } from '../../../src/range-index/build.js';
import { CompiledRangeIndex } from '../../../src/range-index/range-index.js';
import { IndexHolder } from '../../../src/range-index/reload.js';
import { writeSnapshot } from '../../../src/range-index/snapshot.js';
import type { RangeIndex, SnapshotData } from '../../../src/range-index/types.js';
import { DEFAULT_SCORE_WEIGHTS } from '../../../src/security/score.js';
import { configProblems } from '../../helpers/config-problems.js';
import { sharedData } from '../../helpers/paths.js';
import { find, match } from './sources.js';
import { tempDir } from '../../helpers/temp-dir.js';

// The index is built from real feeds: blocklist.de (attackers), its bots file (bots) and the
// X4B datacenter IPv6 list (hosting, 2a01:4f8::/32 among it). 104.248.153.92 is listed by both
// blocklist.de files (known-good.test.ts checks that against the files themselves).
const LISTED = '104.248.153.92';
const UNLISTED = '9.9.9.9';

let data: SnapshotData;
let index: CompiledRangeIndex;

beforeAll(async () => {
  const sources = [
    sourceSchema.parse({ name: 'blocklist-de', format: 'netset', meaning: 'attacker', path: sharedData('abuse', 'firehol', 'blocklist_de.ipset') }),
    sourceSchema.parse({ name: 'blocklist-de-bots', format: 'netset', meaning: 'bot', path: sharedData('abuse', 'firehol', 'blocklist_de_bots.ipset') }),
    sourceSchema.parse({ name: 'x4b-datacenter-v6', format: 'netset', meaning: 'cloud', path: sharedData('vpn', 'x4bnet', 'output', 'datacenter', 'ipv6.txt') }),
  ];
  const loaded = await Promise.all(sources.map((s) => loadSource(s, '/')));
  data = buildIndex(loaded, { version: 'real' });
  index = new CompiledRangeIndex(data);
});

const view = (allowlist: unknown): ((i: RangeIndex) => RangeIndex) => {
  const config = parseConfig({ allowlist }, 'test');
  return allowlistView(config.allowlist, config.score);
};

describe('the config allowlist, applied at lookup time', () => {
  it('is no view at all when empty: lookups go to the index object itself', () => {
    expect(view([])(index)).toBe(index);
    expect(parseConfig({}, 'test').allowlist).toEqual([]);
  });

  it('clears is_bot and is_known_attacker inside a listed network, recomputes the score and names the list', () => {
    const before = find(index, LISTED)!;
    expect(before.security).toMatchObject({ is_known_attacker: true, is_bot: true, threat_score: 45 });
    const allowed = view([{ name: 'partner', cidrs: ['104.248.153.0/24'] }])(index);
    const entry = find(allowed, LISTED)!;
    expect(entry.security).toMatchObject({ is_known_attacker: false, is_bot: false, is_spam: false, threat_score: 0 });
    expect(entry.sources).toEqual(['blocklist-de', 'blocklist-de-bots', 'allowlist:partner']);
    // The index's own answer is untouched: other views of it, and the unwrapped index, still say so.
    expect(find(index, LISTED)!.security.is_known_attacker).toBe(true);
  });

  it('answers the same object for the same index answer, and the index object outside the list', () => {
    const allowed = view([{ name: 'partner', cidrs: ['104.248.153.92'] }])(index);
    expect(find(allowed, LISTED)).toBe(find(allowed, LISTED));
    const outside = '103.191.240.115'; // listed by both blocklist.de files, not allowlisted
    expect(find(allowed, outside)).toBe(find(index, outside));
  });

  it('answers an allowlisted address the index does not hold from the index, all defaults, so it never goes remote', () => {
    expect(find(index, UNLISTED)).toBeUndefined();
    const allowed = view([{ name: 'office', cidrs: ['9.9.9.0/24'] }])(index);
    const m = match(allowed, UNLISTED)!;
    expect(m.network).toBe('9.9.9.0/24');
    expect(m.entry.security.threat_score).toBe(0);
    expect(m.entry.sources).toEqual(['allowlist:office']);
  });

  it('reports the more specific of the index network and the allowlisted one as the match', () => {
    const wide = view([{ name: 'wide', cidrs: ['104.0.0.0/8'] }])(index);
    expect(match(wide, LISTED)!.network).toBe('104.248.153.92/32');
    const indexMatch = match(index, '2a01:4f8::1');
    expect(indexMatch).toBeDefined();
    const narrow = view([{ name: 'narrow', cidrs: ['2a01:4f8::/120'] }])(index);
    expect(match(narrow, '2a01:4f8::1')).toMatchObject({
      network: '2a01:4f8::/120',
      entry: { sources: [...indexMatch!.entry.sources, 'allowlist:narrow'], security: { is_cloud_provider: true, threat_score: 5 } },
    });
  });

  it('merges overlapping lists and shows both in provenance as known-good', () => {
    const allowed = view([
      { name: 'egress', cidrs: ['104.248.153.92'] },
      { name: 'partner', cidrs: ['104.248.0.0/16'] },
    ])(index);
    const explained = explainFromIndex(LISTED, allowed);
    expect(explained).toMatchObject({
      ip: LISTED,
      security: { is_known_attacker: false, is_bot: false },
      provenance: {
        matched_network: '104.248.153.92/32',
        sources: ['blocklist-de', 'blocklist-de-bots', 'allowlist:egress', 'allowlist:partner'],
        known_good: [
          { source: 'allowlist:egress', provider: 'egress' },
          { source: 'allowlist:partner', provider: 'partner' },
        ],
      },
    });
  });

  it('scores with the configured weights', () => {
    const config = parseConfig({ allowlist: [{ name: 'v6', cidrs: ['2a01:4f8::/32'] }], score: { cloud_provider: 12 } }, 'test');
    const allowed = allowlistView(config.allowlist, config.score)(index);
    expect(allowed).toBeInstanceOf(AllowlistedIndex);
    expect(find(allowed, '2a01:4f8::1')!.security.threat_score).toBe(12);
    expect(DEFAULT_SCORE_WEIGHTS.cloud_provider).not.toBe(12);
  });

  it('is applied again to every snapshot an index holder reloads', async () => {
    const dir = tempDir('iprisk-allowlist-');
    const file = path.join(dir, 'index.snap');
    await writeSnapshot(file, buildIndex([], { version: 'empty' }));
    const holder = await IndexHolder.open(file, view([{ name: 'partner', cidrs: ['104.248.153.0/24'] }]));
    expect(find(holder.current, LISTED)!.sources).toEqual(['allowlist:partner']);
    await writeSnapshot(file, data);
    expect(await holder.reload()).toBe('success');
    expect(holder.current.version).toBe('real');
    expect(find(holder.current, LISTED)!.sources).toEqual(['blocklist-de', 'blocklist-de-bots', 'allowlist:partner']);
    expect(find(holder.current, LISTED)!.security.is_known_attacker).toBe(false);
  });
});

describe('the allowlist over a snapshot history', () => {
  it('is applied to every snapshot the history loads, each keeping its own version and valid_from', async () => {
    const dir = tempDir('iprisk-allowlist-history-');
    const validFrom = new Date('2025-06-01T00:00:00Z');
    await fileSnapshot(dir, data, { validFrom });
    const history = await SnapshotHistory.open(dir, { view: view([{ name: 'partner', cidrs: ['104.248.153.0/24'] }]) });
    const loaded = await history.load(0);
    expect(loaded.validFrom).toEqual(validFrom);
    expect(find(loaded, LISTED)!.security.is_known_attacker).toBe(false);
    expect(find(loaded, LISTED)!.sources).toEqual(['blocklist-de', 'blocklist-de-bots', 'allowlist:partner']);
  });
});

describe('allowlist configuration errors', () => {
  it('lists every bad CIDR and name by field path in one error', () => {
    const problems = configProblems(() =>
      parseConfig(
        {
          allowlist: [
            { name: 'office egress', cidrs: ['300.1.1.1/8', '10.0.0.0/33', '192.0.2.0/24'] },
            { name: 'partner', cidrs: [] },
            { name: 'partner', cidrs: ['2001:db8::/129'] },
            { cidrs: ['1.2.3.4'] },
          ],
        },
        'test',
      ),
    );
    expect(problems).toEqual([
      'allowlist.0.name: letters, digits, dot, underscore and hyphen only',
      "allowlist.0.cidrs.0: '300.1.1.1/8' is not a network: not an IPv4 or IPv6 address",
      "allowlist.0.cidrs.1: '10.0.0.0/33' is not a network: prefix length out of range",
      'allowlist.1.cidrs: Too small: expected array to have >=1 items',
      "allowlist.2.cidrs.0: '2001:db8::/129' is not a network: prefix length out of range",
      'allowlist.3.name: Invalid input: expected string, received undefined',
    ]);
  });

  it('refuses two lists of one name, since provenance could not tell them apart', () => {
    const problems = configProblems(() =>
      parseConfig({ allowlist: [{ name: 'partner', cidrs: ['1.2.3.4'] }, { name: 'partner', cidrs: ['5.6.7.8'] }] }, 'test'),
    );
    expect(problems).toEqual(["allowlist.1.name: duplicate allowlist name 'partner' (also at allowlist.0)"]);
  });

  it('takes a list from the environment as YAML', () => {
    const config = parseConfig({}, 'test', { IPRISK_ALLOWLIST: '[{name: egress, cidrs: [203.0.113.0/24]}]' });
    expect(config.allowlist).toEqual([{ name: 'egress', cidrs: ['203.0.113.0/24'] }]);
  });
});
