import { describe, expect, it } from 'vitest';
import { API_KEY, serveForSuite } from './harness.js';
import { SEED_34, SEED_35 } from '../../helpers/seed-answers.js';

interface Entry {
  ip?: string;
  security?: { threat_score: number; is_cloud_provider: boolean; cloud_provider_name: string };
  message?: string;
}

/** Entry i of the request: a repeating mix of documented, sample-range, unknown, IPv6 and bogon addresses. */
function ipAt(i: number): string {
  switch (i % 6) {
    case 0:
      return '2.56.188.34';
    case 1:
      return '2.56.188.35';
    case 2:
      return `1.1.1.${i % 256}`;
    case 3:
      return `2606:4700::${(i % 65_536).toString(16)}`;
    case 4:
      return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    default:
      return `8.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  }
}

describe('a 50,000-address bulk request', () => {
  const api = serveForSuite();

  it('answers every entry in request order with the documented and sample facts', async () => {
    const ips = Array.from({ length: 50_000 }, (_, i) => ipAt(i));
    const res = await fetch(`${api.base}/v3/security-bulk?apiKey=${API_KEY}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ips }),
    });
    expect(res.status).toBe(200);
    const bogons = ips.filter((ip) => ip.startsWith('10.')).length;
    expect(res.headers.get('x-successful-record')).toBe(String(50_000 - bogons));
    expect(res.headers.get('x-credits-charged')).toBe(String((50_000 - bogons) * 2));

    const answers = (await res.json()) as Entry[];
    expect(answers).toHaveLength(50_000);
    answers.forEach((answer, i) => {
      const ip = ips[i]!;
      if (ip.startsWith('10.')) expect(answer).toEqual({ message: `'${ip}' is a bogon IP address.` });
      else expect(answer.ip).toBe(ip);
    });
    expect(answers[0]).toEqual(SEED_34);
    expect(answers[49_999 - (49_999 % 6) + 1]).toEqual(SEED_35);
    // config/sample/sample-index.csv: 1.1.1.0/24 and 2606:4700::/32 are Cloudflare, Inc.
    for (const i of [2, 3, 49_994, 49_995]) {
      expect(answers[i]!.security).toMatchObject({ is_cloud_provider: true, cloud_provider_name: 'Cloudflare, Inc.' });
    }
    expect(answers[5]!.security).toMatchObject({ threat_score: 0, is_cloud_provider: false, cloud_provider_name: '' });
  });

  it('counts the bulk size and the index lookups in the metrics', async () => {
    const text = await (await fetch(`${api.base}/metrics`)).text();
    expect(text).toMatch(/iprisk_http_bulk_ips_count 1\b/);
    expect(text).toMatch(/iprisk_http_bulk_ips_sum 50000\b/);
    expect(text).toMatch(/iprisk_http_requests_total\{route="security-bulk",status="200"\} 1\b/);
    expect(text).toMatch(/iprisk_index_lookups_total\{result="hit"\} \d+/);
  });
});
