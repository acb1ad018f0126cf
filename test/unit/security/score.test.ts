import { describe, expect, it } from 'vitest';
import { DEFAULT_SCORE_WEIGHTS, mergeSignals, modelScore, threatTier } from '../../../src/security/score.js';
import { emptySecurity, signalsForMeaning, MEANINGS } from '../../../src/security/record.js';
import type { Signals } from '../../../src/security/record.js';

// The examples published in ipgeolocation's docs (seeds 000 and 001), signals only: the model
// must give the documented score without being told it.
const SEED_EXAMPLES: { name: string; signals: Signals[]; score: number }[] = [
  { name: 'no signal', signals: [{}], score: 0 },
  {
    name: '1.0.0.0, Cloudflare: cloud provider only',
    signals: [{ is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc.' }],
    score: 5,
  },
  {
    name: '2.56.188.35: known attacker on a cloud provider',
    signals: [{ is_known_attacker: true, is_cloud_provider: true, cloud_provider_name: 'Packethub S.A.' }],
    score: 35,
  },
  {
    name: '152.58.153.65: residential proxy with confidence 99',
    signals: [
      {
        is_proxy: true,
        is_residential_proxy: true,
        proxy_provider_names: ['922 Proxy'],
        proxy_confidence_score: 99,
        proxy_last_seen: '2026-01-04',
      },
    ],
    score: 45,
  },
  {
    name: '2.56.188.34 (API reference): proxy, residential, vpn (confidences 80), attacker, cloud',
    signals: [
      {
        is_proxy: true,
        is_residential_proxy: true,
        proxy_confidence_score: 80,
        is_vpn: true,
        vpn_confidence_score: 80,
        is_known_attacker: true,
        is_cloud_provider: true,
      },
    ],
    score: 80,
  },
  {
    name: '2.56.188.34 (product page): same signals with confidences 90 and 99',
    signals: [
      {
        is_proxy: true,
        is_residential_proxy: true,
        proxy_confidence_score: 90,
        is_vpn: true,
        vpn_confidence_score: 99,
        is_known_attacker: true,
        is_cloud_provider: true,
      },
    ],
    score: 80,
  },
];

describe('threat score model', () => {
  for (const example of SEED_EXAMPLES) {
    it(`reproduces the documented score for ${example.name}`, () => {
      expect(mergeSignals(example.signals).threat_score).toBe(example.score);
    });
  }

  it('puts each documented example in the documented tier', () => {
    expect(threatTier(5)).toBe('low');
    expect(threatTier(35)).toBe('medium');
    expect(threatTier(45)).toBe('elevated');
    expect(threatTier(80)).toBe('high');
    expect(threatTier(0)).toBe('none');
  });

  it('scores anonymisation without abuse as medium and anonymisation with bot or spam as elevated', () => {
    for (const meaning of ['vpn', 'proxy', 'tor', 'relay'] as const) {
      const alone = mergeSignals([signalsForMeaning(meaning)]).threat_score;
      expect(threatTier(alone), meaning).toBe('medium');
      const withBot = mergeSignals([signalsForMeaning(meaning), { is_bot: true }]).threat_score;
      expect(threatTier(withBot), `${meaning} + bot`).toBe('elevated');
    }
  });

  it('scores several strong signals as high', () => {
    const score = mergeSignals([{ is_tor: true, is_known_attacker: true, is_spam: true }]).threat_score;
    expect(threatTier(score)).toBe('high');
  });

  it('never lowers the score when a signal is added (every pair of meanings)', () => {
    const meanings = [...MEANINGS];
    // Every subset of meanings: adding one more never lowers the score.
    for (let mask = 0; mask < 1 << meanings.length; mask++) {
      const base = meanings.filter((_, i) => mask & (1 << i)).map((m) => signalsForMeaning(m));
      const before = mergeSignals(base).threat_score;
      for (const extra of meanings) {
        const after = mergeSignals([...base, signalsForMeaning(extra)]).threat_score;
        expect(after).toBeGreaterThanOrEqual(before);
      }
    }
  });

  it('scales a vpn or proxy signal by its stated confidence, monotonically', () => {
    let previous = 0;
    for (let confidence = 1; confidence <= 100; confidence++) {
      const score = modelScore({ ...emptySecurity(), is_vpn: true, vpn_confidence_score: confidence });
      expect(score).toBeGreaterThanOrEqual(previous);
      previous = score;
    }
    expect(modelScore({ ...emptySecurity(), is_vpn: true, vpn_confidence_score: 10 })).toBeLessThan(
      modelScore({ ...emptySecurity(), is_vpn: true, vpn_confidence_score: 100 }),
    );
  });

  it('counts a flagged signal whose source gave no confidence in full', () => {
    expect(modelScore({ ...emptySecurity(), is_vpn: true })).toBe(DEFAULT_SCORE_WEIGHTS.vpn);
  });

  it('never exceeds 100', () => {
    const all = mergeSignals(MEANINGS.map((m) => signalsForMeaning(m)));
    expect(all.threat_score).toBe(100);
  });

  it('uses configured weights', () => {
    const weights = { ...DEFAULT_SCORE_WEIGHTS, cloud_provider: 12 };
    expect(mergeSignals([{ is_cloud_provider: true }], weights).threat_score).toBe(12);
  });
});

describe('merging the signals of several sources', () => {
  it('ORs flags, unions provider names in order, takes the max confidence and last seen', () => {
    const merged = mergeSignals([
      { is_vpn: true, vpn_provider_names: ['Nord VPN'], vpn_confidence_score: 60, vpn_last_seen: '2025-01-02' },
      { is_vpn: true, vpn_provider_names: ['Mullvad', 'Nord VPN'], vpn_confidence_score: 90, vpn_last_seen: '2024-12-31' },
      { is_tor: true },
    ]);
    expect(merged.is_vpn).toBe(true);
    expect(merged.is_tor).toBe(true);
    expect(merged.vpn_provider_names).toEqual(['Nord VPN', 'Mullvad']);
    expect(merged.vpn_confidence_score).toBe(90);
    expect(merged.vpn_last_seen).toBe('2025-01-02');
    expect(merged.is_anonymous).toBe(true);
  });

  it('takes single provider names from the first source that has one', () => {
    const merged = mergeSignals([
      { is_cloud_provider: true },
      { is_cloud_provider: true, cloud_provider_name: 'Amazon Web Services' },
      { is_cloud_provider: true, cloud_provider_name: 'Other' },
    ]);
    expect(merged.cloud_provider_name).toBe('Amazon Web Services');
  });

  it('keeps a score a source supplied', () => {
    expect(mergeSignals([{ threat_score: 7, is_vpn: true }]).threat_score).toBe(7);
  });

  it('raises a supplied score when a flag-only source adds signals, never lowers it', () => {
    expect(mergeSignals([{ threat_score: 7, is_cloud_provider: true }, { is_tor: true }]).threat_score).toBe(45);
    expect(mergeSignals([{ threat_score: 95 }, { is_cloud_provider: true }]).threat_score).toBe(95);
  });

  it('marks a residential proxy as a proxy and derives is_anonymous', () => {
    const merged = mergeSignals([{ is_residential_proxy: true }]);
    expect(merged.is_proxy).toBe(true);
    expect(merged.is_anonymous).toBe(true);
    expect(mergeSignals([{ is_cloud_provider: true, is_known_attacker: true }]).is_anonymous).toBe(false);
  });
});
