import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sourceSchema } from '../../../src/config/sources.js';
import type { SourceConfig } from '../../../src/config/sources.js';
import { loadSource } from '../../../src/feeds/load.js';
import type { LoadedSource } from '../../../src/feeds/types.js';
import { parseIPv4 } from '../../../src/ip/address.js';
import { parseNetworks } from '../../../src/ip/network.js';
import { buildIndex } from '../../../src/range-index/build.js';
import { CompiledRangeIndex } from '../../../src/range-index/range-index.js';
import { sharedData } from '../../helpers/paths.js';
import { find, match } from '../range-index/sources.js';

// Real files only: blocklist.de lists 34.89.198.88 both as an attacker (all.txt) and as a bot
// (bots.txt), and that address lies in 34.89.198.80/28 of Googlebot's published ranges. The
// facts are read from the files below, not assumed.
const GOOGLEBOT = '34.89.198.88';
/** Listed by both blocklist.de files too, but in none of Google's crawler files. */
const OTHER = '104.248.153.92';

const GOOGLEBOT_JSON = sharedData('benign', 'google', 'googlebot.json');
const BLOCKLIST_DE = sharedData('abuse', 'firehol', 'blocklist_de.ipset');
const BLOCKLIST_DE_BOTS = sharedData('abuse', 'firehol', 'blocklist_de_bots.ipset');
const GCP = sharedData('cloud', 'gcp', 'cloud.json');

function listed(file: string): Set<string> {
  return new Set(readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')));
}

function inGooglePrefixes(file: string, ip: string): boolean {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { prefixes: { ipv4Prefix?: string }[] };
  const value = parseIPv4(ip);
  return doc.prefixes.some((p) => {
    if (p.ipv4Prefix === undefined) return false;
    const net = parseNetworks(p.ipv4Prefix)[0]!;
    return net.family === 4 && value >= net.first && value < net.first + 2 ** (32 - net.prefix);
  });
}

const src = (raw: Record<string, unknown>): SourceConfig => sourceSchema.parse(raw);

/** blocklist.de as an attacker list, its bots file as bots and (forum-spam bots) as spam, and
 * Google Cloud's cloud.json: every flag the known-good rule clears, plus one it keeps. */
const ABUSE_AND_CLOUD = [
  src({ name: 'blocklist-de', format: 'netset', meaning: 'attacker', path: BLOCKLIST_DE }),
  src({ name: 'blocklist-de-bots', format: 'netset', meaning: 'bot', path: BLOCKLIST_DE_BOTS }),
  src({ name: 'blocklist-de-spam', format: 'netset', meaning: 'spam', path: BLOCKLIST_DE_BOTS }),
  src({ name: 'gcp', format: 'gcp', path: GCP }),
];

async function indexOf(sources: readonly SourceConfig[]): Promise<{ index: CompiledRangeIndex; loaded: LoadedSource[] }> {
  const loaded = await Promise.all(sources.map((s) => loadSource(s, '/')));
  return { index: new CompiledRangeIndex(buildIndex(loaded)), loaded };
}

describe("known-good networks (meaning benign) on Google's real crawler files and real abuse feeds", () => {
  it('starts from a real overlap: both blocklist.de files list a Googlebot address, and another address that is not Google', () => {
    for (const file of [BLOCKLIST_DE, BLOCKLIST_DE_BOTS]) {
      expect(listed(file).has(GOOGLEBOT), file).toBe(true);
      expect(listed(file).has(OTHER), file).toBe(true);
    }
    expect(inGooglePrefixes(GOOGLEBOT_JSON, GOOGLEBOT)).toBe(true);
    for (const name of ['googlebot.json', 'special-crawlers.json', 'user-triggered-fetchers.json']) {
      expect(inGooglePrefixes(sharedData('benign', 'google', name), OTHER), name).toBe(false);
    }
  });

  let without: CompiledRangeIndex;
  let withGooglebot: CompiledRangeIndex;
  let loaded: LoadedSource[];

  beforeAll(async () => {
    without = (await indexOf(ABUSE_AND_CLOUD)).index;
    // The contract's form: Google's file in the gcp shape, declared benign, with a provider name.
    const googlebot = src({ name: 'googlebot', format: 'gcp', meaning: 'benign', provider: 'Googlebot', path: GOOGLEBOT_JSON });
    ({ index: withGooglebot, loaded } = await indexOf([...ABUSE_AND_CLOUD, googlebot]));
  });

  it('without the benign source, the Googlebot address is an attacker, a bot and spam on Google Cloud, scored 30 + 15 + 15 + 5', () => {
    const entry = find(without, GOOGLEBOT)!;
    expect(entry.security).toMatchObject({ is_known_attacker: true, is_bot: true, is_spam: true, is_cloud_provider: true, threat_score: 65 });
  });

  it('with it, the address carries none of is_bot, is_spam, is_known_attacker, keeps Google Cloud, and scores 5 (cloud only)', () => {
    const entry = find(withGooglebot, GOOGLEBOT)!;
    expect(entry.security).toMatchObject({
      is_known_attacker: false,
      is_bot: false,
      is_spam: false,
      is_cloud_provider: true,
      cloud_provider_name: 'Google Cloud',
      threat_score: 5,
    });
    expect(entry.sources).toEqual(['blocklist-de', 'blocklist-de-bots', 'blocklist-de-spam', 'gcp', 'googlebot']);
  });

  it('names the benign source and its provider in the index statistics, with the one range it cleared', () => {
    expect(loaded[4]!.knownGood).toEqual({ provider: 'Googlebot' });
    expect(loaded[4]!.problems).toEqual([]);
    // The gcp shape's own meaning (Google Cloud) is not taken: only the networks count.
    expect(loaded[4]!.entries.every((e) => Object.keys(e.signals).length === 0)).toBe(true);
    const stats = withGooglebot.stats.sources.find((s) => s.name === 'googlebot')!;
    expect(stats.benign).toEqual({ provider: 'Googlebot', clearedRangesV4: 1, clearedRangesV6: 0 });
    expect(withGooglebot.stats.sources.find((s) => s.name === 'blocklist-de')!.benign).toBeUndefined();
  });

  it('leaves the rest of the Googlebot /28 answered by Google Cloud and Googlebot alone', () => {
    const m = match(withGooglebot, '34.89.198.89')!;
    expect(m.network).toBe('34.89.198.80/28');
    expect(m.entry.sources).toEqual(['gcp', 'googlebot']);
    expect(m.entry.security).toMatchObject({ is_cloud_provider: true, threat_score: 5 });
  });

  it('keeps the flags of an address the same feeds list outside every known-good range', () => {
    for (const index of [without, withGooglebot]) {
      const entry = find(index, OTHER)!;
      expect(entry.security).toMatchObject({ is_known_attacker: true, is_bot: true, is_spam: true, threat_score: 60 });
      expect(entry.sources).toEqual(['blocklist-de', 'blocklist-de-bots', 'blocklist-de-spam']);
    }
  });

  it('gives the same answer through the googlebot format, which is benign by itself and named Googlebot', async () => {
    const { index, loaded: viaFormat } = await indexOf([...ABUSE_AND_CLOUD, src({ name: 'googlebot', format: 'googlebot', path: GOOGLEBOT_JSON })]);
    expect(viaFormat[4]!.knownGood).toEqual({ provider: 'Googlebot' });
    expect(find(index, GOOGLEBOT)!.security).toEqual(find(withGooglebot, GOOGLEBOT)!.security);
  });

  it('reads a netset declared benign the same way', async () => {
    const { index, loaded: viaNetset } = await indexOf([
      ...ABUSE_AND_CLOUD,
      src({ name: 'partners', format: 'netset', meaning: 'benign', provider: 'Partner crawlers', path: BLOCKLIST_DE_BOTS }),
    ]);
    expect(viaNetset[4]!.knownGood).toEqual({ provider: 'Partner crawlers' });
    expect(find(index, OTHER)!.security).toMatchObject({ is_known_attacker: false, is_bot: false, is_spam: false, threat_score: 0 });
  });

  it('refuses a meaning other than benign on a Google crawler format, naming the field', () => {
    const result = sourceSchema.safeParse({ name: 'g', format: 'googlebot', meaning: 'bot', path: 'x.json' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['meaning']);
  });
});
