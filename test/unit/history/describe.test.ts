import { describe, expect, it } from 'vitest';
import { describeHistory, describeHistoryJson } from '../../../src/history/describe.js';
import { entryFor } from '../../../src/history/manifest.js';
import type { Manifest } from '../../../src/history/manifest.js';
import { buildIndex } from '../../../src/range-index/build.js';
import { payloadSha256 } from '../../../src/range-index/snapshot.js';
import { sourceOf } from '../../helpers/build-index.js';

const early = buildIndex([sourceOf('vpn', [['5.1.0.0/16', { is_vpn: true }], ['2a00::/16', { is_vpn: true }]])], { version: 'early' });
const late = buildIndex(
  [sourceOf('vpn', [['5.1.0.0/16', { is_vpn: true }]]), sourceOf('tor', [['185.220.101.0/24', { is_tor: true }], ['185.220.102.0/24', { is_tor: true }]])],
  { version: 'late' },
);
const manifest: Manifest = {
  format: 1,
  snapshots: [
    entryFor(early, payloadSha256(early), new Date('2025-06-01T00:00:00Z'), 1000),
    entryFor(late, payloadSha256(late), new Date('2025-06-10T00:00:00Z'), 2500),
    entryFor(early, payloadSha256(early), new Date('2025-06-20T00:00:00Z'), 1000),
  ],
};

describe('describing a history folder', () => {
  const text = describeHistory('/var/lib/iprisk/history', manifest);
  const row = (validFrom: string): string[] => text.split('\n').find((l) => l.trim().startsWith(validFrom))!.trim().split(/\s+/);

  it('lists one row per period with its version, ranges per family and flagged ranges', () => {
    // valid from, version, ranges v4, ranges v6, tor, proxy, residential_proxy, vpn, relay, known_attacker, bot, spam, cloud
    expect(row('2025-06-01T00:00:00.000Z')).toEqual(['2025-06-01T00:00:00.000Z', 'early', '1', '1', '0', '0', '0', '2', '0', '0', '0', '0', '0']);
    // The two adjacent Tor /24s are one range.
    expect(row('2025-06-10T00:00:00.000Z')).toEqual(['2025-06-10T00:00:00.000Z', 'late', '2', '0', '1', '0', '0', '1', '0', '0', '0', '0', '0']);
  });

  it('counts periods and distinct contents with their stored bytes', () => {
    expect(text).toContain('snapshots   3 periods, 2 distinct contents (3,500 bytes)');
  });

  it('gives each period in JSON the end of its validity', () => {
    const d = describeHistoryJson('/h', manifest);
    expect(d.snapshots.map((e) => [e.version, e.valid_until])).toEqual([
      ['early', '2025-06-10T00:00:00.000Z'],
      ['late', '2025-06-20T00:00:00.000Z'],
      ['early', null],
    ]);
    expect(d.files).toBe(2);
  });
});
