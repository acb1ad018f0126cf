import { describe, expect, it } from 'vitest';
import { SECURITY_FIELDS } from '../../src/security/record.js';
import { iprisk } from '../helpers/cli.js';
import { SEED_34, SEED_34_EXCLUDES, SEED_34_FIELDS, SEED_35, SEED_CLOUDFLARE_BULK, SEED_RESIDENTIAL_PROXY } from '../helpers/seed-answers.js';

// Expected answers are ipgeolocation's own published responses (test/helpers/seed-answers.ts).
describe('iprisk lookup on the bundled sample index', () => {
  it('prints one IP exactly as the seed response, fields in order', () => {
    const { status, stdout } = iprisk(['lookup', '2.56.188.34']);
    expect(status).toBe(0);
    expect(stdout.trim()).toBe(JSON.stringify(SEED_34));
  });

  it('prints several IPs as an array in the given order, with bulk message objects for bogons', () => {
    const { status, stdout } = iprisk(['lookup', '10.0.0.0', '2.56.188.35', '1.0.0.2']);
    expect(status).toBe(0);
    const answers = JSON.parse(stdout) as { ip?: string; message?: string; security?: Record<string, unknown> }[];
    expect(answers[0]).toEqual({ message: "'10.0.0.0' is a bogon IP address." });
    expect(answers[1]).toEqual(SEED_35);
    expect(answers[2]).toEqual(SEED_CLOUDFLARE_BULK[2]);
    expect(Object.keys(answers[2]?.security ?? {})).toEqual([...SECURITY_FIELDS]);
  });

  it('applies --fields and --excludes as the seed examples do', () => {
    expect(JSON.parse(iprisk(['lookup', '--fields', 'security.threat_score', '2.56.188.34']).stdout)).toEqual(SEED_34_FIELDS);
    const excluded = iprisk(['lookup', '--excludes', 'security.is_tor,security.is_cloud_provider', '2.56.188.34']).stdout;
    expect(excluded.trim()).toBe(JSON.stringify(SEED_34_EXCLUDES));
  });

  it('answers the residential proxy example with score 45', () => {
    const { stdout } = iprisk(['lookup', '152.58.153.65']);
    expect(JSON.parse(stdout)).toEqual(SEED_RESIDENTIAL_PROXY);
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
