import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { registerEnrich } from '../../../src/cli/enrich.js';
import { DEFAULT_IP_FIELDS } from '../../../src/config/schema.js';
import { Enricher } from '../../../src/enrich/enricher.js';
import { indexOf, sourceOf } from '../../helpers/build-index.js';
import { closedAfterEach, provider } from './support.js';

const extraction = { ip_fields: [...DEFAULT_IP_FIELDS], xff_field: 'x_forwarded_for', trusted_proxies: [] };
const index = indexOf([sourceOf('tor', [['185.220.101.0/24', { is_tor: true }]])]);

const { faultServer, harness } = closedAfterEach();
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const events = [
  { client_ip: '185.220.101.7', path: '/a' },
  { client_ip: '8.8.8.8', path: '/b' },
  { client_ip: '10.1.2.3', path: '/c' },
  { client_ip: '9.9.9.9', path: '/d' },
  { client_ip: '8.8.8.8', path: '/e' },
  { client_ip: 'not-an-ip', path: '/f' },
];

describe('the enricher with the remote fallback', () => {
  it('attaches remote answers to index misses and cached ones on the next batch', async () => {
    const server = await faultServer({ table: { '8.8.8.8': { is_vpn: true, threat_score: 30 } } });
    const h = harness({ providers: [provider('ipgeolocation', server.url, { single_ip_endpoint: false })] });
    const enricher = new Enricher({ index: { current: index }, extraction, fallback: h.remote });
    const out = await enricher.enrich(events);

    expect(out.map((e) => e.enrichment.source)).toEqual(['index', 'remote', 'private', 'remote', 'remote', 'invalid']);
    expect(out[1]?.security).toMatchObject({ is_vpn: true, threat_score: 30 });
    expect(JSON.parse(out[1]!.securityJson)).toEqual(out[1]?.security);
    expect(server.requests.map((r) => r.ips)).toEqual([['8.8.8.8', '9.9.9.9']]);

    const again = await enricher.enrich(events);
    expect(again.map((e) => e.enrichment.source)).toEqual(['index', 'cache', 'private', 'cache', 'cache', 'invalid']);
    expect(server.requests).toHaveLength(1);
  });

  it('keeps going when the remote fails (pass): misses go out with source none, nothing is dropped', async () => {
    const server = await faultServer({});
    server.failAll({ kind: 'reset' });
    const h = harness({ providers: [provider('ipgeolocation', server.url, { retries: 1 })] });
    const enricher = new Enricher({ index: { current: index }, extraction, fallback: h.remote });
    const out = await enricher.enrich(events);

    expect(out).toHaveLength(events.length);
    expect(out.map((e) => e.enrichment.source)).toEqual(['index', 'none', 'private', 'none', 'none', 'invalid']);
    expect(out.map((e) => e.event)).toEqual(events);
    expect(server.requests.length).toBeGreaterThan(0);
  });

  it('marks an answer served from an expired cache entry as stale in the enrichment', async () => {
    const server = await faultServer({ table: { '8.8.8.8': { is_vpn: true, threat_score: 30 } } });
    const h = harness({ cache: { ttl_secs: 1 }, providers: [provider('ipgeolocation', server.url)] });
    const enricher = new Enricher({ index: { current: index }, extraction, fallback: h.remote });
    await enricher.enrich([{ client_ip: '8.8.8.8' }]);
    server.failAll({ kind: 'status', status: 500 });
    h.clock.advance(5_000);
    const [out] = await enricher.enrich([{ client_ip: '8.8.8.8' }]);

    expect(out?.enrichment).toMatchObject({ source: 'cache', stale: true });
    expect(out?.security).toMatchObject({ is_vpn: true });
  });
});

describe('iprisk enrich with remote providers configured', () => {
  it('asks the configured provider for index misses and writes its answers', async () => {
    const server = await faultServer({ apiKey: 'file-key', table: { '8.8.8.8': { is_spam: true, threat_score: 15 } } });
    dir = mkdtempSync(path.join(tmpdir(), 'iprisk-remote-'));
    writeFileSync(path.join(dir, 'key.txt'), 'file-key\n');
    const config = path.join(dir, 'iprisk.yaml');
    writeFileSync(
      config,
      [
        'remote:',
        '  providers:',
        `    - { name: upstream, type: iprisk, base_url: "${server.url}", api_key_file: key.txt, retries: 0 }`,
        '',
      ].join('\n'),
    );
    const input = path.join(dir, 'in.jsonl');
    const output = path.join(dir, 'out.jsonl');
    writeFileSync(input, `${JSON.stringify({ client_ip: '8.8.8.8', path: '/x' })}\n${JSON.stringify({ client_ip: '2.56.188.34', path: '/y' })}\n`);

    const level = process.env.IPRISK_LOG_LEVEL;
    process.env.IPRISK_LOG_LEVEL = 'silent';
    try {
      const program = new Command('iprisk').exitOverride();
      registerEnrich(program);
      await program.parseAsync(['node', 'iprisk', 'enrich', '-q', '-c', config, '-o', output, input]);
    } finally {
      if (level === undefined) delete process.env.IPRISK_LOG_LEVEL;
      else process.env.IPRISK_LOG_LEVEL = level;
    }

    const lines = readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { security: Record<string, unknown>; enrichment: { source: string } });
    expect(lines.map((l) => l.enrichment.source)).toEqual(['remote', 'index']);
    expect(lines[0]?.security).toMatchObject({ is_spam: true, threat_score: 15 });
    expect(server.requests).toEqual([expect.objectContaining({ path: '/v3/security?apiKey=[redacted]&ip=8.8.8.8' })]);
  });
});
