import { describe, expect, it } from 'vitest';
import { SECURITY_FIELDS, copySecurity } from '../../../src/security/record.js';
import type { SecurityRecord } from '../../../src/security/record.js';
import { SEED_34 } from '../../helpers/seed-answers.js';

describe('copySecurity', () => {
  it('keeps the documented field order whatever order the record was built in', () => {
    const reversed = Object.fromEntries(Object.entries(SEED_34.security).reverse()) as unknown as SecurityRecord;
    const copy = copySecurity(reversed);
    expect(Object.keys(copy)).toEqual([...SECURITY_FIELDS]);
    expect(copy).toEqual(SEED_34.security);
  });

  it('gives the copy its own provider-name lists', () => {
    const copy = copySecurity(SEED_34.security);
    copy.vpn_provider_names.push('another');
    copy.proxy_provider_names.push('another');
    expect(SEED_34.security.vpn_provider_names).not.toContain('another');
    expect(SEED_34.security.proxy_provider_names).not.toContain('another');
  });
});
