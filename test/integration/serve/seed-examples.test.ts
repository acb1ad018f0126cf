import { describe, expect, it } from 'vitest';
import { API_KEY, canonical, serveForSuite } from './harness.js';
import { SEED_34, SEED_34_EXCLUDES, SEED_34_FIELDS, SEED_35, SEED_BULK_BOGON, SEED_BULK_EXCLUDES, SEED_BULK_FIELDS, SEED_CALLER } from '../../helpers/seed-answers.js';

// Each request is the seed's own curl example with https://api.ipgeolocation.io swapped for the
// local server; each expectation is the seed's own response preview.
describe('the seed 001 examples against iprisk serve on the sample index', () => {
  const api = serveForSuite();

  async function get(query: string): Promise<Response> {
    return fetch(`${api.base}/v3/security?${query}`);
  }

  async function bulk(query: string, body: string): Promise<Response> {
    return fetch(`${api.base}/v3/security-bulk?${query}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  }

  it('looks up a specific IP address', async () => {
    const res = await get(`apiKey=${API_KEY}&ip=2.56.188.34`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-credits-charged')).toBe('2');
    expect(canonical(await res.text())).toBe(JSON.stringify(SEED_34));
  });

  it('leaves out excluded fields', async () => {
    const res = await get(`apiKey=${API_KEY}&ip=2.56.188.34&excludes=security.is_tor,security.is_cloud_provider`);
    expect(res.status).toBe(200);
    expect(canonical(await res.text())).toBe(JSON.stringify(SEED_34_EXCLUDES));
  });

  it('returns only the requested fields', async () => {
    const res = await get(`apiKey=${API_KEY}&ip=2.56.188.34&fields=security.threat_score`);
    expect(res.status).toBe(200);
    expect(canonical(await res.text())).toBe(JSON.stringify(SEED_34_FIELDS));
  });

  it('answers a bulk request in request order, without X-Successful-Record when every IP is valid', async () => {
    const res = await bulk(`apiKey=${API_KEY}`, '{"ips":["2.56.188.34","2.56.188.35"]}');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-credits-charged')).toBe('4');
    expect(res.headers.has('x-successful-record')).toBe(false);
    expect(canonical(await res.text())).toBe(JSON.stringify([SEED_34, SEED_35]));
  });

  it('applies fields to every bulk entry', async () => {
    const res = await bulk(`apiKey=${API_KEY}&fields=security.is_vpn,security.vpn_confidence_score,security.is_proxy`, '{"ips":["2.56.188.34","2.56.188.35"]}');
    expect(res.status).toBe(200);
    expect(canonical(await res.text())).toBe(JSON.stringify(SEED_BULK_FIELDS));
  });

  it('applies excludes to every bulk entry', async () => {
    const res = await bulk(`apiKey=${API_KEY}&excludes=security.threat_score,security.proxy_last_seen,security.vpn_last_seen`, '{"ips":["2.56.188.34","2.56.188.35"]}');
    expect(res.status).toBe(200);
    expect(canonical(await res.text())).toBe(JSON.stringify(SEED_BULK_EXCLUDES));
  });

  it('answers a bogon bulk entry in place with a message and counts the successful records', async () => {
    const res = await bulk(`apiKey=${API_KEY}`, '{"ips":["10.0.0.0","2.56.188.35"]}');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-successful-record')).toBe('1');
    expect(res.headers.get('x-credits-charged')).toBe('2');
    expect(canonical(await res.text())).toBe(JSON.stringify(SEED_BULK_BOGON));
  });

  it("looks up the caller's own address when ip is absent, and a loopback caller is a bogon (423)", async () => {
    const res = await get(`apiKey=${API_KEY}`);
    expect(res.status).toBe(423);
    expect(await res.json()).toEqual({ message: "'127.0.0.1' is a bogon IP address." });
  });

  it('answers a public address no source knows with the all-defaults record the seed shows for the caller lookup', async () => {
    const res = await get(`apiKey=${API_KEY}&ip=115.186.118.130`);
    expect(res.status).toBe(200);
    expect(canonical(await res.text())).toBe(JSON.stringify(SEED_CALLER));
  });

  it('also answers explicit output=json', async () => {
    const res = await get(`apiKey=${API_KEY}&ip=2.56.188.34&output=json`);
    expect(canonical(await res.text())).toBe(JSON.stringify(SEED_34));
  });
});

describe('output=xml', () => {
  const api = serveForSuite();

  it('renders the single answer as XML, fields in record order, lists one element per name', async () => {
    const res = await fetch(`${api.base}/v3/security?apiKey=${API_KEY}&ip=2.56.188.34&fields=security.threat_score,security.proxy_provider_names,security.is_vpn&output=xml`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(await res.text()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<response><ip>2.56.188.34</ip><security><threat_score>80</threat_score>' +
        '<proxy_provider_names><proxy_provider_name>Zyte Proxy</proxy_provider_name></proxy_provider_names>' +
        '<is_vpn>true</is_vpn></security></response>\n',
    );
  });

  it('wraps bulk entries in <responses>, messages escaped', async () => {
    const res = await fetch(`${api.base}/v3/security-bulk?apiKey=${API_KEY}&output=xml&fields=security.threat_score`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ips: ['10.0.0.0', '<b>&"x"', '2.56.188.35'] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-successful-record')).toBe('1');
    expect(await res.text()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<responses>' +
        '<response><message>&apos;10.0.0.0&apos; is a bogon IP address.</message></response>' +
        '<response><message>&apos;&lt;b&gt;&amp;&quot;x&quot;&apos; is not a valid IP address.</message></response>' +
        '<response><ip>2.56.188.35</ip><security><threat_score>35</threat_score></security></response>' +
        '</responses>\n',
    );
  });

  it('answers errors in XML too', async () => {
    const res = await fetch(`${api.base}/v3/security?apiKey=${API_KEY}&ip=10.0.0.1&output=xml`);
    expect(res.status).toBe(423);
    expect(await res.text()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<response><message>&apos;10.0.0.1&apos; is a bogon IP address.</message></response>\n',
    );
  });

  it('honours Accept: application/xml as ipgeolocation does', async () => {
    const res = await fetch(`${api.base}/v3/security?apiKey=${API_KEY}&ip=2.56.188.34&fields=security.threat_score`, {
      headers: { Accept: 'application/xml' },
    });
    expect(await res.text()).toContain('<threat_score>80</threat_score>');
  });
});
