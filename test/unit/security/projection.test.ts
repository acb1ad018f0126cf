import { describe, expect, it } from 'vitest';
import { Projection } from '../../../src/security/projection.js';
import { SECURITY_FIELDS } from '../../../src/security/record.js';
import { SEED_34 } from '../../helpers/seed-answers.js';

// 2.56.188.34 as ipgeolocation's API reference (seed 001) prints it.
const record = SEED_34.security;

describe('fields and excludes projections', () => {
  it('keeps every field in the documented order when no projection is asked', () => {
    const answer = new Projection().apply('2.56.188.34', record);
    expect(Object.keys(answer.security ?? {})).toEqual([...SECURITY_FIELDS]);
  });

  it('matches the seed example for excludes=security.is_tor,security.is_cloud_provider', () => {
    const answer = new Projection(undefined, 'security.is_tor,security.is_cloud_provider').apply('2.56.188.34', record);
    expect(Object.keys(answer.security ?? {})).toEqual(
      SECURITY_FIELDS.filter((f) => f !== 'is_tor' && f !== 'is_cloud_provider'),
    );
    expect(answer.ip).toBe('2.56.188.34');
  });

  it('matches the seed example for fields=security.threat_score', () => {
    expect(new Projection('security.threat_score').apply('2.56.188.34', record)).toEqual({
      ip: '2.56.188.34',
      security: { threat_score: 80 },
    });
  });

  it('returns requested fields in record order, as the seed bulk example shows', () => {
    const answer = new Projection('security.is_vpn,security.vpn_confidence_score,security.is_proxy').apply('x', record);
    expect(JSON.stringify(answer.security)).toBe('{"is_proxy":true,"is_vpn":true,"vpn_confidence_score":80}');
  });

  it('never removes ip', () => {
    expect(new Projection(undefined, 'ip').apply('1.2.3.4', record).ip).toBe('1.2.3.4');
    expect(new Projection('ip').apply('1.2.3.4', record)).toEqual({ ip: '1.2.3.4' });
  });

  it('ignores paths that name no field, as the original API does', () => {
    expect(new Projection('security.nope').apply('1.2.3.4', record)).toEqual({ ip: '1.2.3.4' });
    expect(new Projection(undefined, 'location.city').isIdentity).toBe(true);
  });
});
