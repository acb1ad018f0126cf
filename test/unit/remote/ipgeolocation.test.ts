import { describe, expect, it } from 'vitest';
import { IpgeolocationProtocol, securityFromIpgeolocation } from '../../../src/remote/ipgeolocation.js';
import { emptySecurity } from '../../../src/security/record.js';
import { pub } from '../../helpers/public-ip.js';
import { SEED_34 as SEED_34_ANSWER } from '../../helpers/seed-answers.js';

const protocol = (extra: Partial<ConstructorParameters<typeof IpgeolocationProtocol>[0]> = {}) =>
  new IpgeolocationProtocol({ type: 'ipgeolocation', apiKey: 'k3y/with+chars', fields: [], maxIpsPerRequest: 50_000, singleIpEndpoint: true, ...extra });

/** Seed 001, "2. Lookup a Specific IP Address": the security object. */
const SEED_34 = { ...SEED_34_ANSWER.security };

describe('mapping an ipgeolocation security object', () => {
  it('keeps the seed answer field for field, in the record order', () => {
    const record = securityFromIpgeolocation(SEED_34);
    expect(record).toEqual(SEED_34);
    expect(JSON.stringify(record)).toBe(JSON.stringify(SEED_34));
  });

  it('keeps a supplied threat score even where the score model would say otherwise', () => {
    expect(securityFromIpgeolocation({ ...emptySecurity(), threat_score: 55 }).threat_score).toBe(55);
  });

  it('gives the fields an answer leaves out, or gives with the wrong type, their defaults', () => {
    // Seed 001 "excludes" example: threat_score, proxy_last_seen and vpn_last_seen removed.
    const { threat_score: _s, proxy_last_seen: _p, vpn_last_seen: _v, ...excluded } = SEED_34;
    const record = securityFromIpgeolocation({ ...excluded, is_bot: 'yes', vpn_provider_names: ['Nord VPN', 7] });
    expect(record.proxy_last_seen).toBe('');
    expect(record.vpn_last_seen).toBe('');
    expect(record.is_bot).toBe(false);
    expect(record.vpn_provider_names).toEqual(['Nord VPN']);
    // No score supplied: the score model scores the flags, and reproduces the seed's 80.
    expect(record.threat_score).toBe(80);
  });
});

describe('the ipgeolocation wire protocol', () => {
  it('builds the bulk request with the key in the query and a redacted twin for logs', () => {
    const req = protocol({ fields: ['security.is_vpn', 'security.threat_score'] }).build([pub('2.56.188.34'), pub('2.56.188.35')]);
    expect(req).toEqual({
      method: 'POST',
      path: '/v3/security-bulk?apiKey=k3y%2Fwith%2Bchars&fields=security.is_vpn%2Csecurity.threat_score',
      logPath: '/v3/security-bulk?apiKey=[redacted]&fields=security.is_vpn,security.threat_score',
      body: '{"ips":["2.56.188.34","2.56.188.35"]}',
    });
  });

  it('builds the single request for a lone address', () => {
    const req = protocol().build([pub('2001:4860:1::1')]);
    expect(req.method).toBe('GET');
    expect(req.path).toBe('/v3/security?apiKey=k3y%2Fwith%2Bchars&ip=2001%3A4860%3A1%3A%3A1');
    expect(req.logPath).not.toContain('k3y');
  });

  it('reads the seed bulk answer with a message entry in place of a bogon', () => {
    const body = JSON.stringify([{ message: "'10.0.0.0' is a bogon IP address." }, { ip: '2.56.188.34', security: SEED_34 }]);
    // 10.0.0.0 is never asked (the enricher keeps bogons local), so its message matches nothing.
    const read = protocol().read(body, [pub('2.56.188.34')]);
    expect(read).toEqual({ kind: 'answers', answers: new Map([['2.56.188.34', { kind: 'answer', security: SEED_34 }]]), stray: 1 });
  });

  it('matches a message entry to the address it quotes', () => {
    const body = JSON.stringify([{ message: "'8.8.8.8' is not a valid IP address." }, { ip: '1.1.1.1', security: {} }]);
    const read = protocol().read(body, [pub('1.1.1.1'), pub('8.8.8.8')]);
    expect(read.kind === 'answers' && read.answers.get('8.8.8.8')).toEqual({ kind: 'unknown', message: "'8.8.8.8' is not a valid IP address." });
  });

  it('ignores entries for addresses not asked and second entries for one address', () => {
    const body = JSON.stringify([
      { ip: '9.9.9.9', security: { is_tor: true } },
      { ip: '1.1.1.1', security: { is_vpn: true } },
      { ip: '1.1.1.1', security: { is_spam: true } },
      'garbage',
    ]);
    const read = protocol().read(body, [pub('1.1.1.1'), pub('8.8.8.8')]);
    expect(read.kind).toBe('answers');
    if (read.kind !== 'answers') return;
    expect([...read.answers.keys()]).toEqual(['1.1.1.1']);
    expect(read.answers.get('1.1.1.1')).toMatchObject({ security: { is_vpn: true, is_spam: false } });
    expect(read.stray).toBe(3);
  });

  it('calls a body that is not JSON, or holds no object, malformed', () => {
    expect(protocol().read('[{"ip": "1.1', [pub('1.1.1.1')]).kind).toBe('malformed');
    expect(protocol().read('"text"', [pub('1.1.1.1')]).kind).toBe('malformed');
    expect(protocol().read('[1, 2]', [pub('1.1.1.1')]).kind).toBe('malformed');
  });

  it('reads 404 and 423 on the single endpoint as "no answer" for that address, but not on bulk', () => {
    const one = [pub('8.8.8.8')];
    expect(protocol().readClientError(423, '{"message":"\'8.8.8.8\' is a bogon IP address."}', one)).toMatchObject({
      kind: 'answers',
      answers: new Map([['8.8.8.8', { kind: 'unknown', message: "'8.8.8.8' is a bogon IP address." }]]),
    });
    expect(protocol().readClientError(404, 'not json', one)).toMatchObject({ kind: 'answers' });
    expect(protocol().readClientError(405, '{}', one)).toBeUndefined();
    expect(protocol({ singleIpEndpoint: false }).readClientError(404, '{}', one)).toBeUndefined();
    expect(protocol().readClientError(404, '{}', [pub('8.8.8.8'), pub('1.1.1.1')])).toBeUndefined();
  });

  it('removes the key, plain or URL-encoded, from text it is given', () => {
    expect(protocol().redact('bad key k3y/with+chars or k3y%2Fwith%2Bchars')).toBe('bad key [redacted] or [redacted]');
  });
});
