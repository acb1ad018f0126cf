import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LookupAnswer, LookupProvider, PublicIp } from '../../../src/enrich/lookup-provider.js';
import { buildIndex } from '../../../src/range-index/build.js';
import { IndexHolder } from '../../../src/range-index/reload.js';
import type { ReloadOutcome } from '../../../src/range-index/reload.js';
import { writeSnapshot } from '../../../src/range-index/snapshot.js';
import type { SecurityRecord } from '../../../src/security/record.js';
import { emptySecurity } from '../../../src/security/record.js';
import { sourceOf } from '../../helpers/build-index.js';
import type { Running } from './harness.js';
import { API_KEY, messageOf, startServe } from './harness.js';

/** Resolves the next time `fire` is called. */
class Signal<T = void> {
  readonly promise: Promise<T>;
  fire!: (value: T) => void;
  constructor() {
    this.promise = new Promise((resolve) => {
      this.fire = resolve;
    });
  }
}

/**
 * An in-memory LookupProvider, the shape the remote fallback will take: answers from a table,
 * optionally held until released, optionally failing.
 */
class TableProvider implements LookupProvider {
  readonly name = 'table';
  readonly asked: string[][] = [];
  readonly called = new Signal();
  private gate: Promise<void> = Promise.resolve();
  private release: () => void = () => undefined;

  constructor(
    private readonly table: ReadonlyMap<string, SecurityRecord>,
    private readonly failure?: Error,
  ) {}

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  open(): void {
    this.release();
  }

  async lookup(ips: readonly PublicIp[]): Promise<ReadonlyMap<string, LookupAnswer>> {
    this.asked.push(ips.map((ip) => ip.ip));
    this.called.fire();
    await this.gate;
    if (this.failure) throw this.failure;
    const answers = new Map<string, LookupAnswer>();
    for (const ip of ips) {
      const security = this.table.get(ip.ip);
      if (security) answers.set(ip.ip, { security, source: 'remote', matchedNetwork: null, stale: false });
    }
    return answers;
  }
}

const TOR: SecurityRecord = { ...emptySecurity(), threat_score: 60, is_tor: true, is_anonymous: true };

describe('rate limiting', () => {
  let api: Running;
  beforeEach(async () => {
    api = await startServe({ config: { rate_limit_per_minute: 2 }, keys: [API_KEY, 'OTHER_KEY'] });
  });
  afterEach(async () => {
    await api.close();
  });

  it('answers 429 with Retry-After once a key has used its requests per minute, other keys unaffected', async () => {
    const url = (key: string) => `${api.base}/v3/security?apiKey=${key}&ip=2.56.188.34`;
    expect((await fetch(url(API_KEY))).status).toBe(200);
    expect((await fetch(url(API_KEY))).status).toBe(200);
    const limited = await fetch(url(API_KEY));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(messageOf(await limited.text())).toContain('2 per minute');
    expect((await fetch(url('OTHER_KEY'))).status).toBe(200);
    expect((await fetch(`${api.base}/healthz`)).status).toBe(200);
  });
});

describe('index reload', () => {
  let dir = '';
  let api: Running | undefined;
  let holder: IndexHolder | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'iprisk-serve-reload-'));
  });
  afterEach(async () => {
    holder?.close();
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers from a rewritten snapshot without a restart', async () => {
    const file = path.join(dir, 'index.snap');
    await writeSnapshot(file, buildIndex([sourceOf('vpn', [['203.0.114.0/24', { is_vpn: true, vpn_provider_names: ['First VPN'] }]])], { version: 'one' }));
    holder = await IndexHolder.open(file);
    const reloaded = new Signal<ReloadOutcome>();
    holder.watchSnapshot(file, {
      debounceMs: 20,
      onReload: (outcome) => {
        reloaded.fire(outcome);
      },
    });
    api = await startServe({ index: holder });

    const ask = async (): Promise<unknown> => (await fetch(`${api!.base}/v3/security?apiKey=${API_KEY}&ip=203.0.114.9&fields=security.vpn_provider_names`)).json();
    expect(await ask()).toEqual({ ip: '203.0.114.9', security: { vpn_provider_names: ['First VPN'] } });
    expect(await (await fetch(`${api.base}/readyz`)).json()).toMatchObject({ status: 'ready', index_version: 'one' });

    await writeSnapshot(file, buildIndex([sourceOf('vpn', [['203.0.114.0/24', { is_vpn: true, vpn_provider_names: ['Second VPN'] }]])], { version: 'two' }));
    expect(await reloaded.promise).toBe('success');
    expect(await ask()).toEqual({ ip: '203.0.114.9', security: { vpn_provider_names: ['Second VPN'] } });
    const metrics = await (await fetch(`${api.base}/metrics`)).text();
    expect(metrics).toContain('iprisk_index_info{version="two"} 1');
    expect(metrics).not.toContain('version="one"');
  });
});

describe('the lookup fallback for index misses', () => {
  let api: Running | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('asks the fallback once per unique miss and answers with what it knows', async () => {
    const provider = new TableProvider(new Map([['8.8.4.4', TOR]]));
    api = await startServe({ fallback: provider });
    const res = await fetch(`${api.base}/v3/security-bulk?apiKey=${API_KEY}&fields=security.threat_score,security.is_tor`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ips: ['8.8.4.4', '2.56.188.34', '9.9.9.9', '::ffff:8.8.4.4', '8.8.4.4'] }),
    });
    expect(await res.json()).toEqual([
      { ip: '8.8.4.4', security: { threat_score: 60, is_tor: true } },
      { ip: '2.56.188.34', security: { threat_score: 80, is_tor: false } },
      { ip: '9.9.9.9', security: { threat_score: 0, is_tor: false } },
      { ip: '::ffff:8.8.4.4', security: { threat_score: 60, is_tor: true } },
      { ip: '8.8.4.4', security: { threat_score: 60, is_tor: true } },
    ]);
    expect(provider.asked).toEqual([['8.8.4.4', '9.9.9.9']]);
  });

  it('answers from the index alone when the fallback fails', async () => {
    api = await startServe({ fallback: new TableProvider(new Map([['8.8.4.4', TOR]]), new Error('remote down')) });
    const res = await fetch(`${api.base}/v3/security?apiKey=${API_KEY}&ip=8.8.4.4&fields=security.is_tor`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ip: '8.8.4.4', security: { is_tor: false } });
  });

  it("counts a client that leaves before its answer as ipgeolocation's 499", async () => {
    const provider = new TableProvider(new Map());
    provider.hold();
    const running = await startServe({ fallback: provider });
    api = running;
    const serverSideClosed = new Signal();
    running.server.server.once('request', (req: IncomingMessage) => {
      req.socket.once('close', () => {
        serverSideClosed.fire();
      });
    });
    const abort = new AbortController();
    const pending = fetch(`${running.base}/v3/security?apiKey=${API_KEY}&ip=8.8.8.8`, { signal: abort.signal }).catch((err: unknown) => err);
    await provider.called.promise;
    abort.abort();
    expect(await pending).toBeInstanceOf(Error);
    await serverSideClosed.promise;
    provider.open();
    const metrics = await (await fetch(`${running.base}/metrics`)).text();
    expect(metrics).toContain('iprisk_http_requests_total{route="security",status="499"} 1');
  });
});

describe('graceful shutdown', () => {
  it('finishes an in-flight request, then stops accepting connections', async () => {
    const provider = new TableProvider(new Map([['8.8.4.4', TOR]]));
    provider.hold();
    const api = await startServe({ fallback: provider });
    const inFlight = fetch(`${api.base}/v3/security?apiKey=${API_KEY}&ip=8.8.4.4&fields=security.is_tor`);
    await provider.called.promise;
    const closed = api.server.close(5000);
    provider.open();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ip: '8.8.4.4', security: { is_tor: true } });
    await closed;
    await expect(fetch(`${api.base}/healthz`)).rejects.toThrow();
  });
});

describe('access without keys and the unauthenticated endpoints', () => {
  it('asks for no apiKey when no key is configured and allow_anonymous is true', async () => {
    const api = await startServe({ keys: [], config: { allow_anonymous: true } });
    try {
      const res = await fetch(`${api.base}/v3/security?ip=2.56.188.35&fields=security.threat_score`);
      expect(await res.json()).toEqual({ ip: '2.56.188.35', security: { threat_score: 35 } });
    } finally {
      await api.close();
    }
  });

  it('refuses to be built with no key unless allow_anonymous is true', async () => {
    await expect(startServe({ keys: [] })).rejects.toThrow(/serve\.allow_anonymous is false/);
  });

  it('serves only the operational endpoints when the API routes are off, with no key configured', async () => {
    const api = await startServe({ keys: [], apiRoutes: false });
    try {
      expect((await fetch(`${api.base}/healthz`)).status).toBe(200);
      expect((await fetch(`${api.base}/metrics`)).status).toBe(200);
      const res = await fetch(`${api.base}/v3/security?ip=2.56.188.34`);
      expect(res.status).toBe(404);
      expect(messageOf(await res.text())).toContain('No endpoint');
    } finally {
      await api.close();
    }
  });

  it('serves /healthz, /readyz and /metrics without an apiKey', async () => {
    const api = await startServe();
    try {
      expect(await (await fetch(`${api.base}/healthz`)).json()).toEqual({ status: 'ok' });
      expect(await (await fetch(`${api.base}/readyz`)).json()).toMatchObject({ status: 'ready', index_version: 'sample' });
      await fetch(`${api.base}/v3/security?ip=2.56.188.34`);
      const metrics = await fetch(`${api.base}/metrics`);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await metrics.text();
      expect(text).toContain('iprisk_http_requests_total{route="security",status="401"} 1');
      expect(text).toContain('iprisk_index_ranges{family="ipv4"}');
      expect(text).toMatch(/iprisk_index_built_timestamp_seconds \d+/);
      expect(text).toContain('iprisk_http_request_duration_seconds_bucket');
    } finally {
      await api.close();
    }
  });
});
