import { describe, expect, it } from 'vitest';
import { IpExtractor } from '../../../src/enrich/extract-ip.js';
import { DEFAULT_IP_FIELDS } from '../../../src/config/schema.js';

const defaults = { ip_fields: [...DEFAULT_IP_FIELDS], xff_field: 'x_forwarded_for', trusted_proxies: [] };

describe('finding the client address of an event', () => {
  it('takes the first configured field that is present, in order', () => {
    const extractor = new IpExtractor(defaults);
    expect(extractor.extract({ ip: '1.1.1.1', client_ip: '2.2.2.2' }).parsed.ip).toBe('2.2.2.2');
    expect(extractor.extract({ remote_addr: '3.3.3.3', ip: '1.1.1.1' }).parsed.ip).toBe('3.3.3.3');
  });

  it('reads ECS nested paths and flattened dotted keys', () => {
    const extractor = new IpExtractor(defaults);
    expect(extractor.extract({ source: { ip: '8.8.4.4' } }).parsed.ip).toBe('8.8.4.4');
    expect(extractor.extract({ 'client.ip': '9.9.9.9' }).parsed.ip).toBe('9.9.9.9');
  });

  it('answers missing when no field holds a string', () => {
    const extractor = new IpExtractor(defaults);
    expect(extractor.extract({ client_ip: 12345, other: '1.2.3.4' }).parsed).toMatchObject({ kind: 'invalid', reason: 'missing' });
  });

  it('ignores X-Forwarded-For when the direct address is not a trusted proxy', () => {
    const extractor = new IpExtractor({ ...defaults, trusted_proxies: ['10.0.0.0/8'] });
    expect(extractor.extract({ client_ip: '2.56.188.34', x_forwarded_for: '6.6.6.6' }).parsed.ip).toBe('2.56.188.34');
  });

  it('walks X-Forwarded-For right to left past trusted proxies', () => {
    const extractor = new IpExtractor({ ...defaults, trusted_proxies: ['10.0.0.0/8', '203.0.113.0/24'] });
    const event = { client_ip: '10.0.0.5', x_forwarded_for: '6.6.6.6, 2.56.188.34, 203.0.113.10' };
    expect(extractor.extract(event).parsed.ip).toBe('2.56.188.34');
  });

  it('takes the left-most hop when every hop is trusted', () => {
    const extractor = new IpExtractor({ ...defaults, trusted_proxies: ['10.0.0.0/8'] });
    expect(extractor.extract({ client_ip: '10.0.0.5', x_forwarded_for: '10.1.1.1, 10.2.2.2' }).parsed.ip).toBe('10.1.1.1');
  });

  it('stops at an untrusted hop even when it is malformed, rather than trusting what lies left of it', () => {
    const extractor = new IpExtractor({ ...defaults, trusted_proxies: ['10.0.0.0/8'] });
    const parsed = extractor.extract({ client_ip: '10.0.0.5', x_forwarded_for: '1.1.1.1, garbage' }).parsed;
    expect(parsed).toMatchObject({ kind: 'invalid', reason: 'malformed' });
  });

  it('reads hops with ports and IPv6 brackets', () => {
    const extractor = new IpExtractor({ ...defaults, trusted_proxies: ['2001:db8::/32'] });
    const event = { client_ip: '2001:db8::1', x_forwarded_for: '[2606:4700::6810:84e5]:51000, 2001:db8::2' };
    expect(extractor.extract(event).parsed.ip).toBe('2606:4700::6810:84e5');
  });

  it('uses the right-most hop when there is no direct address and no trusted proxy', () => {
    const extractor = new IpExtractor(defaults);
    expect(extractor.extract({ x_forwarded_for: '6.6.6.6, 2.56.188.35' }).parsed.ip).toBe('2.56.188.35');
  });

  it('gives from client() the same address extract() gives, with and without trusted proxies', () => {
    const events: Record<string, unknown>[] = [
      { client_ip: '2.56.188.34' },
      { client_ip: '10.0.0.5', x_forwarded_for: '10.1.1.1, 2.56.188.35' },
      { x_forwarded_for: '6.6.6.6, 2.56.188.35' },
      { client_ip: 12345 },
      {},
      { source: { ip: '2606:4700::1111' } },
    ];
    for (const extractor of [new IpExtractor(defaults), new IpExtractor({ ...defaults, trusted_proxies: ['10.0.0.0/8'] })]) {
      for (const event of events) expect(extractor.client(event)).toEqual(extractor.extract(event).parsed);
    }
    const trusted = new IpExtractor({ ...defaults, trusted_proxies: ['10.0.0.0/8'] });
    expect(trusted.client({ client_ip: '10.0.0.5', x_forwarded_for: '10.1.1.1, 2.56.188.35' }).ip).toBe('2.56.188.35');
  });
});
