import { describe, expect, it } from 'vitest';
import { emptySecurity } from '../../../src/security/record.js';
import { SEED_34 as SEED_34_ANSWER, SEED_35 as SEED_35_ANSWER } from '../../helpers/seed-answers.js';
import { closedAfterEach, metricValue, provider, pubs } from './support.js';

// The seed's bulk example answers (seed 001, "1. Bulk lookup request"), security objects only.
const SEED_34 = SEED_34_ANSWER.security;
const SEED_35 = SEED_35_ANSWER.security;

const { faultServer, harness } = closedAfterEach();

describe('the ipgeolocation provider', () => {
  it('asks the bulk endpoint with the key and maps the seed answers field for field', async () => {
    const server = await faultServer({ apiKey: 'test-key-123', table: { '2.56.188.34': SEED_34, '2.56.188.35': SEED_35 } });
    const h = harness({ providers: [provider('ipgeolocation', server.url)] });
    const answers = await h.remote.lookup(pubs('2.56.188.34', '2.56.188.35'));

    expect(answers.get('2.56.188.34')).toEqual({ security: SEED_34, source: 'remote', matchedNetwork: null, stale: false });
    expect(answers.get('2.56.188.35')?.security).toEqual(SEED_35);
    expect(Object.keys(answers.get('2.56.188.34')!.security)).toEqual(Object.keys(SEED_34));
    expect(server.requests).toEqual([
      { method: 'POST', path: '/v3/security-bulk?apiKey=[redacted]', ips: ['2.56.188.34', '2.56.188.35'], body: '{"ips":["2.56.188.34","2.56.188.35"]}', fault: null },
    ]);
    expect(await metricValue(h.metrics.remoteCredits, { provider: 'ipgeolocation' })).toBe(4);
    expect(await metricValue(h.metrics.remoteIps, { provider: 'ipgeolocation' })).toBe(2);
    expect(await metricValue(h.metrics.remoteRequests, { provider: 'ipgeolocation', outcome: 'ok' })).toBe(1);
  });

  it('asks a lone address on the single endpoint, and can be told not to', async () => {
    const server = await faultServer({ table: { '2.56.188.34': SEED_34 } });
    let h = harness({ providers: [provider('ipgeolocation', server.url)] });
    expect((await h.remote.lookup(pubs('2.56.188.34'))).get('2.56.188.34')?.security).toEqual(SEED_34);
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/v3/security?apiKey=[redacted]&ip=2.56.188.34' });
    await h.remote.close();

    h = harness({ providers: [provider('ipgeolocation', server.url, { single_ip_endpoint: false })] });
    await h.remote.lookup(pubs('2.56.188.35'));
    expect(server.requests[1]).toMatchObject({ method: 'POST', path: '/v3/security-bulk?apiKey=[redacted]', ips: ['2.56.188.35'] });
  });

  it('splits a batch at max_ips_per_request and counts every credit charged', async () => {
    const server = await faultServer({});
    const h = harness({ providers: [provider('ipgeolocation', server.url, { max_ips_per_request: 2, single_ip_endpoint: false })] });
    const ips = pubs('8.8.8.8', '8.8.4.4', '1.1.1.1', '9.9.9.9', '4.4.4.4');
    const resolved = await h.remote.resolve(ips);

    expect(server.requests.map((r) => r.ips)).toEqual([['8.8.8.8', '8.8.4.4'], ['1.1.1.1', '9.9.9.9'], ['4.4.4.4']]);
    expect([...resolved.values()].every((r) => r.kind === 'answer')).toBe(true);
    expect(await metricValue(h.metrics.remoteCredits, { provider: 'ipgeolocation' })).toBe(10);
  });

  it('passes fields and gives the fields the answer leaves out their defaults, keeping the supplied score', async () => {
    const server = await faultServer({});
    // The seed's "fields" example: only three fields come back.
    server.setRow('2.56.188.34', {});
    const h = harness({ providers: [provider('ipgeolocation', server.url, { fields: ['security.is_vpn', 'security.vpn_confidence_score', 'security.is_proxy', 'security.threat_score'] })] });
    const trimmed = { ip: '2.56.188.34', security: { threat_score: 80, is_proxy: true, is_vpn: true, vpn_confidence_score: 80 } };
    server.fail({ kind: 'status', status: 200, body: JSON.stringify(trimmed) });
    const answer = (await h.remote.lookup(pubs('2.56.188.34'))).get('2.56.188.34');

    expect(server.requests[0]?.path).toBe('/v3/security?apiKey=[redacted]&fields=security.is_vpn,security.vpn_confidence_score,security.is_proxy,security.threat_score&ip=2.56.188.34');
    expect(answer?.security).toEqual({ ...emptySecurity(), threat_score: 80, is_proxy: true, is_vpn: true, vpn_confidence_score: 80, is_anonymous: true });
  });

  it('takes a per-entry message as "no answer" for that address, not as an error', async () => {
    const server = await faultServer({ table: { '2.56.188.35': SEED_35, '8.8.8.8': { message: "'8.8.8.8' is a bogon IP address." } } });
    const h = harness({ providers: [provider('ipgeolocation', server.url)] });
    const resolved = await h.remote.resolve(pubs('8.8.8.8', '2.56.188.35'));

    expect(resolved.get('8.8.8.8')).toEqual({ kind: 'unknown' });
    expect(resolved.get('2.56.188.35')).toMatchObject({ kind: 'answer', answer: { security: SEED_35 } });
    expect(server.requests).toHaveLength(1);
    expect(h.remote.status()[0]).toMatchObject({ circuit: 'closed', disabled: null });
  });

  it('matches answers to addresses by their ip, whatever text form the provider echoes', async () => {
    const server = await faultServer({});
    const h = harness({ providers: [provider('ipgeolocation', server.url)] });
    const body = JSON.stringify([
      { ip: '2001:4860:4860:0000:0000:0000:0000:8888', security: { ...emptySecurity(), is_vpn: true, threat_score: 30 } },
      { ip: '8.8.8.8', security: { ...emptySecurity(), is_tor: true, threat_score: 40 } },
    ]);
    server.fail({ kind: 'status', status: 200, body });
    const answers = await h.remote.lookup(pubs('8.8.8.8', '2001:4860:4860::8888'));

    expect(answers.get('8.8.8.8')?.security.is_tor).toBe(true);
    expect(answers.get('2001:4860:4860::8888')?.security.is_vpn).toBe(true);
  });
});

describe('the iprisk provider', () => {
  it('speaks the ipgeolocation protocol to its base URL, under any path prefix, without a key when none is set', async () => {
    const server = await faultServer({ table: { '2.56.188.34': SEED_34 } });
    const h = harness({ providers: [provider('iprisk', `${server.url}/`, { single_ip_endpoint: false })] });
    const answers = await h.remote.lookup(pubs('2.56.188.34'));

    expect(answers.get('2.56.188.34')?.security).toEqual(SEED_34);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/v3/security-bulk' });
    expect(h.remote.status()).toEqual([{ name: 'iprisk', type: 'iprisk', circuit: 'closed', disabled: null }]);
  });
});

describe('the ipqs provider', () => {
  it('asks one address per request with the configured options and maps the answer as documented', async () => {
    const server = await faultServer({
      apiKey: 'test-key-123',
      ipqs: {
        '2.56.188.34': { fraud_score: 87.5, proxy: true, vpn: true, tor: false, recent_abuse: true, bot_status: true, is_crawler: false },
        '185.220.101.7': { fraud_score: 100, proxy: true, vpn: false, tor: true },
        '3.3.3.3': { fraud_score: 75, proxy: true },
        '66.249.66.1': { fraud_score: 0, is_crawler: true, host: 'crawl-66-249-66-1.googlebot.com' },
        '52.1.2.3': { fraud_score: 10, connection_type: 'Data Center', ISP: 'Amazon.com' },
      },
    });
    const h = harness({
      providers: [provider('ipqs', server.url, { ipqs: { strictness: 1, fast: false, mobile: true, allow_public_access_points: false, lighter_penalties: true } })],
    });
    const answers = await h.remote.lookup(pubs('2.56.188.34', '185.220.101.7', '3.3.3.3', '66.249.66.1', '52.1.2.3'));

    expect(server.requests.map((r) => r.path).sort()[0]).toBe(
      '/api/json/ip/[redacted]/185.220.101.7?strictness=1&fast=false&mobile=true&allow_public_access_points=false&lighter_penalties=true',
    );
    expect(server.requests).toHaveLength(5);
    // fraud_score -> threat_score; vpn explains proxy (seed 003: proxy is always true with vpn or tor).
    expect(answers.get('2.56.188.34')?.security).toEqual({
      ...emptySecurity(),
      threat_score: 88,
      is_vpn: true,
      is_anonymous: true,
      is_known_attacker: true,
      is_bot: true,
    });
    expect(answers.get('185.220.101.7')?.security).toMatchObject({ threat_score: 100, is_tor: true, is_proxy: false, is_anonymous: true });
    expect(answers.get('3.3.3.3')?.security).toMatchObject({ threat_score: 75, is_proxy: true, is_vpn: false, is_anonymous: true });
    // A verified crawler is a clean bot, which is_bot leaves out (seed 001 FAQ).
    expect(answers.get('66.249.66.1')?.security).toEqual(emptySecurity());
    expect(answers.get('52.1.2.3')?.security).toMatchObject({ threat_score: 10, is_cloud_provider: true, cloud_provider_name: 'Amazon.com' });
  });

  it('takes success:false with a message about the address as "no answer" for it, and keeps asking', async () => {
    const server = await faultServer({
      ipqs: { '8.8.8.8': { success: false, message: 'Invalid IPv4 address, IPv6 address or hostname.' } },
    });
    const h = harness({ providers: [provider('ipqs', server.url)] });
    const resolved = await h.remote.resolve(pubs('8.8.8.8', '1.1.1.1'));

    expect(resolved.get('8.8.8.8')).toEqual({ kind: 'unknown' });
    expect(resolved.get('1.1.1.1')).toMatchObject({ kind: 'answer' });
    expect(h.log.text()).toContain('Invalid IPv4 address, IPv6 address or hostname.');
    expect(h.remote.status()[0]?.disabled).toBeNull();
  });

  it('treats success:false for a wrong key as a configuration error and disables itself', async () => {
    const server = await faultServer({ apiKey: 'the-right-key' });
    const h = harness({ providers: [provider('ipqs', server.url, { api_key: 'a-wrong-key', concurrency: 1 })] });
    const resolved = await h.remote.resolve(pubs('8.8.8.8', '1.1.1.1', '9.9.9.9'));

    expect(server.requests).toHaveLength(1);
    expect([...resolved.values()]).toEqual([
      { kind: 'unanswered', reason: 'disabled' },
      { kind: 'unanswered', reason: 'disabled' },
      { kind: 'unanswered', reason: 'disabled' },
    ]);
    const errors = h.log.lines().filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(/remote provider 'ipqs' \(ipqs\) refused .*Invalid or unauthorized key/);
    expect(h.log.text()).not.toContain('a-wrong-key');
  });
});
