import { describe, expect, it } from 'vitest';
import { SECURITY_FIELDS } from '../../src/security/record.js';
import { iprisk } from '../helpers/cli.js';

// Expected answers are ipgeolocation's own published responses (seed 001, API reference).
const SEED_2_56_188_34 = {
  ip: '2.56.188.34',
  security: {
    threat_score: 80,
    is_tor: false,
    is_proxy: true,
    proxy_provider_names: ['Zyte Proxy'],
    proxy_confidence_score: 80,
    proxy_last_seen: '2025-12-12',
    is_residential_proxy: true,
    is_vpn: true,
    vpn_provider_names: ['Nord VPN'],
    vpn_confidence_score: 80,
    vpn_last_seen: '2026-01-19',
    is_relay: false,
    relay_provider_name: '',
    is_anonymous: true,
    is_known_attacker: true,
    is_bot: false,
    is_spam: false,
    is_cloud_provider: true,
    cloud_provider_name: 'Packethub S.A.',
  },
};

describe('iprisk lookup on the bundled sample index', () => {
  it('prints one IP exactly as the seed response, fields in order', () => {
    const { status, stdout } = iprisk(['lookup', '2.56.188.34']);
    expect(status).toBe(0);
    expect(stdout.trim()).toBe(JSON.stringify(SEED_2_56_188_34));
  });

  it('prints several IPs as an array in the given order, with bulk message objects for bogons', () => {
    const { status, stdout } = iprisk(['lookup', '10.0.0.0', '2.56.188.35', '1.0.0.2']);
    expect(status).toBe(0);
    const answers = JSON.parse(stdout) as { ip?: string; message?: string; security?: Record<string, unknown> }[];
    expect(answers[0]).toEqual({ message: "'10.0.0.0' is a bogon IP address." });
    expect(answers[1]?.security).toMatchObject({ threat_score: 35, is_known_attacker: true, cloud_provider_name: 'Packethub S.A.' });
    expect(answers[2]?.security).toMatchObject({ threat_score: 5, is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc.' });
    expect(Object.keys(answers[2]?.security ?? {})).toEqual([...SECURITY_FIELDS]);
  });

  it('applies --fields and --excludes as the seed examples do', () => {
    expect(JSON.parse(iprisk(['lookup', '--fields', 'security.threat_score', '2.56.188.34']).stdout)).toEqual({
      ip: '2.56.188.34',
      security: { threat_score: 80 },
    });
    const excluded = JSON.parse(iprisk(['lookup', '--excludes', 'security.is_tor,security.is_cloud_provider', '2.56.188.34']).stdout) as {
      security: Record<string, unknown>;
    };
    expect(Object.keys(excluded.security)).toEqual(SECURITY_FIELDS.filter((f) => f !== 'is_tor' && f !== 'is_cloud_provider'));
  });

  it('answers the residential proxy example with score 45', () => {
    const { stdout } = iprisk(['lookup', '152.58.153.65']);
    expect((JSON.parse(stdout) as { security: unknown }).security).toMatchObject({ threat_score: 45, is_residential_proxy: true, proxy_provider_names: ['922 Proxy'] });
  });

  it('exits 1 and says so when an entry is not an IP address', () => {
    const { status, stdout } = iprisk(['lookup', 'not-an-ip']);
    expect(status).toBe(1);
    expect(JSON.parse(stdout)).toEqual({ message: "'not-an-ip' is not a valid IP address." });
  });

  it('fails clearly when --index names a missing file', () => {
    const { status, stderr } = iprisk(['lookup', '--index', '/nonexistent/x.snap', '1.1.1.1']);
    expect(status).toBe(1);
    expect(stderr).toContain('/nonexistent/x.snap');
  });
});
