import { describe, expect, it } from 'vitest';
import type { PublicIp } from '../../../src/enrich/lookup-provider.js';
import { IpqsProtocol, securityFromIpqs } from '../../../src/remote/ipqs.js';
import { ipqsOptionsSchema } from '../../../src/remote/remote-schema.js';
import { emptySecurity } from '../../../src/security/record.js';

const ip: PublicIp = { family: 4, ip: '8.8.8.8', v4: 0x08080808 };
const protocol = new IpqsProtocol({ apiKey: 'secret key', options: ipqsOptionsSchema.parse({}) });

describe('mapping an IPQS answer', () => {
  it('takes fraud_score as the threat score, rounded, and bot_status / recent_abuse as bot / known attacker', () => {
    expect(securityFromIpqs({ success: true, fraud_score: 42.4, bot_status: true, recent_abuse: true })).toEqual({
      ...emptySecurity(),
      threat_score: 42,
      is_bot: true,
      is_known_attacker: true,
    });
  });

  it('reads vpn and tor (and their active_ forms), and proxy only where neither explains it', () => {
    expect(securityFromIpqs({ proxy: true, vpn: true, fraud_score: 90 })).toMatchObject({ is_vpn: true, is_proxy: false, is_anonymous: true });
    expect(securityFromIpqs({ proxy: true, active_tor: true, fraud_score: 100 })).toMatchObject({ is_tor: true, is_proxy: false, is_anonymous: true });
    expect(securityFromIpqs({ proxy: true, fraud_score: 75 })).toMatchObject({ is_proxy: true, is_vpn: false, is_tor: false, is_anonymous: true });
    expect(securityFromIpqs({ proxy: 'true', vpn: 'false', fraud_score: '80' })).toMatchObject({ is_proxy: true, threat_score: 80 });
  });

  it('does not call a verified crawler a bot', () => {
    expect(securityFromIpqs({ is_crawler: true, fraud_score: 0 })).toEqual(emptySecurity());
  });

  it('reads a Data Center connection as a cloud provider named by its ISP', () => {
    expect(securityFromIpqs({ connection_type: 'Data Center', ISP: 'Hetzner Online GmbH', fraud_score: 10 })).toMatchObject({
      is_cloud_provider: true,
      cloud_provider_name: 'Hetzner Online GmbH',
      threat_score: 10,
    });
    expect(securityFromIpqs({ connection_type: 'Data Center', ISP: 'N/A', fraud_score: 10 }).cloud_provider_name).toBe('');
  });

  it('scores the flags with the model when fraud_score is missing', () => {
    expect(securityFromIpqs({ tor: true }).threat_score).toBeGreaterThan(0);
  });
});

describe('the IPQS wire protocol', () => {
  it('puts the key and the address in the path and every documented option in the query', () => {
    expect(protocol.build([ip])).toEqual({
      method: 'GET',
      path: '/api/json/ip/secret%20key/8.8.8.8?strictness=0&fast=true&mobile=false&allow_public_access_points=true&lighter_penalties=false',
      logPath: '/api/json/ip/[redacted]/8.8.8.8?strictness=0&fast=true&mobile=false&allow_public_access_points=true&lighter_penalties=false',
    });
  });

  it('refuses to put several addresses in one request', () => {
    expect(() => protocol.build([ip, ip])).toThrow(/one address per request/);
  });

  it('reads success:false about the address as "no answer", and about the key or credits as refused', () => {
    expect(protocol.read('{"success": false, "message": "Invalid IPv4 address, IPv6 address or hostname."}', [ip])).toEqual({
      kind: 'answers',
      answers: new Map([['8.8.8.8', { kind: 'unknown', message: 'Invalid IPv4 address, IPv6 address or hostname.' }]]),
      stray: 0,
    });
    expect(protocol.read('{"success": false, "message": "Invalid or unauthorized key. Please check the API key and try again."}', [ip]).kind).toBe('refused');
    expect(protocol.read('{"success": false, "message": "You have insufficient credits to make this query."}', [ip]).kind).toBe('refused');
  });

  it('calls a body without success, or not JSON, malformed', () => {
    expect(protocol.read('{"fraud_score": 1}', [ip]).kind).toBe('malformed');
    expect(protocol.read('<xml/>', [ip]).kind).toBe('malformed');
  });
});
