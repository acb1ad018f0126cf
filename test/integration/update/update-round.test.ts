import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSnapshot } from '../../../src/range-index/snapshot.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { exitStatusOf } from '../../../src/update/command.js';
import { readFeedState } from '../../../src/update/feed-state.js';
import { FeedServer } from './feed-server.js';
import { FACTS, FILES, defaultWorkspaceEachTest, find, firstAddress, sameBytes, sharedSha256, workspace } from './support.js';
import type { Workspace } from './support.js';

let server: FeedServer;
let ws: Workspace;
defaultWorkspaceEachTest((s, w) => {
  server = s;
  ws = w;
});

/** Temporary download files left in a folder (there must never be any after a round). */
async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.download') || name.endsWith('.tmp'));
}

describe('index update: downloading and rebuilding', () => {
  it('downloads every feed byte for byte and builds a snapshot that answers from them', async () => {
    const report = await ws.round();
    expect(report.counts).toEqual({ updated: 3, not_modified: 0, failed: 0 });
    expect(report.rebuild).toBe('written');
    expect(exitStatusOf(report)).toBe(0);

    expect(await sameBytes(path.join(ws.dir, 'data', 'torbulkexitlist'), FILES.tor)).toBe(true);
    expect(await sameBytes(path.join(ws.dir, 'data', 'cloud.json'), FILES.gcp)).toBe(true);
    // A source with only a url is stored under feeds/ beside the config, named after the source.
    expect(await sameBytes(path.join(ws.dir, 'feeds', 'cloudflare-v6'), FILES.cloudflareV6)).toBe(true);

    const index = await readSnapshot(ws.snapshot);
    expect(find(index, FACTS.firstTorExit)?.security).toMatchObject({ is_tor: true, is_anonymous: true });
    expect(find(index, firstAddress(FACTS.firstGcpV4Prefix))?.security.is_cloud_provider).toBe(true);
    expect(find(index, firstAddress(FACTS.firstCloudflareV6Prefix))?.security.is_cloud_provider).toBe(true);
    expect(await leftovers(path.join(ws.dir, 'data'))).toEqual([]);
  });

  it('asks again with If-None-Match and If-Modified-Since, takes the 304 and leaves the snapshot alone', async () => {
    await ws.round();
    const built = await stat(ws.snapshot);
    const first = server.requestsFor('/cloud.json');
    expect(first).toHaveLength(1);
    expect(first[0]!.headers['if-none-match']).toBeUndefined();

    const report = await ws.round();
    expect(report.counts).toEqual({ updated: 0, not_modified: 3, failed: 0 });
    expect(report.rebuild).toBe('up_to_date');
    expect(exitStatusOf(report)).toBe(0);
    for (const urlPath of ['/torbulkexitlist', '/cloud.json', '/ips-v6']) {
      const [, again] = server.requestsFor(urlPath);
      expect(again?.headers['if-none-match']).toMatch(/^"[0-9a-f]{16}"$/);
      expect(again?.headers['if-modified-since']).toMatch(/GMT$/);
    }
    expect((await stat(ws.snapshot)).mtimeMs).toBe(built.mtimeMs);
  });

  it('downloads in full and rebuilds with force, sending no validators', async () => {
    await ws.round();
    const report = await ws.round({ force: true });
    expect(report.rebuild).toBe('written');
    const [, again] = server.requestsFor('/torbulkexitlist');
    expect(again?.headers['if-none-match']).toBeUndefined();
    expect(again?.headers['if-modified-since']).toBeUndefined();
    // The bytes are the same ones, so the copies stay as they were.
    expect(report.counts.not_modified).toBe(3);
  });

  it('picks up a new version of a feed and rebuilds with it', async () => {
    await ws.round();
    server.serveFile('/torbulkexitlist', FILES.torDoodad, 'text/plain');
    const report = await ws.round();
    expect(report.counts).toEqual({ updated: 1, not_modified: 2, failed: 0 });
    expect(report.rebuild).toBe('written');
    expect(report.reason).toContain('tor');
    const index = await readSnapshot(ws.snapshot);
    expect(find(index, FACTS.doodadV6Exit)?.security.is_tor).toBe(true);
  });

  it('keeps the last good copy of a feed that answers 500 on every attempt, reports it and still rebuilds', async () => {
    await ws.round();
    server.serveFile('/torbulkexitlist', FILES.torDoodad, 'text/plain');
    server.fault('/cloud.json', { kind: 'status', status: 500 });
    const report = await ws.round();

    const gcp = report.feeds.find((f) => f.name === 'gcp')!;
    expect(gcp.outcome).toBe('failed');
    expect(gcp.error).toContain('HTTP 500');
    expect(gcp.error).toContain('after 3 attempts');
    expect(gcp.attempts).toBe(3);
    expect(gcp.hasCopy).toBe(true);
    // retries: 2 → three requests this round, after the one of the first round.
    expect(server.requestsFor('/cloud.json')).toHaveLength(4);
    expect(report.counts).toEqual({ updated: 1, not_modified: 1, failed: 1 });
    expect(await sameBytes(path.join(ws.dir, 'data', 'cloud.json'), FILES.gcp)).toBe(true);

    expect(report.rebuild).toBe('written');
    expect(exitStatusOf(report)).toBe(0);
    const index = await readSnapshot(ws.snapshot);
    expect(find(index, firstAddress(FACTS.firstGcpV4Prefix))?.security.is_cloud_provider).toBe(true);
    expect(find(index, FACTS.doodadV6Exit)?.security.is_tor).toBe(true);
  });

  it('retries a 429 after the pause its Retry-After asks for and then succeeds', async () => {
    server.fault('/cloud.json', { kind: 'status', status: 429, headers: { 'retry-after': '0' } }, 1);
    server.fault('/cloud.json', { kind: 'status', status: 503 }, 1);
    const report = await ws.round();
    expect(report.feeds.find((f) => f.name === 'gcp')).toMatchObject({ outcome: 'updated', attempts: 3 });
    expect(server.requestsFor('/cloud.json')).toHaveLength(3);
  });

  it('retries a refused connection and names the network reason', async () => {
    const closed = await FeedServer.start();
    const url = closed.url('/gone.txt');
    await closed.close();
    const refused = await workspace(server, {
      sources: `  - { name: gone, format: netset, meaning: vpn, url: "${url}", path: data/gone.txt }`,
      update: '{ retries: 1, backoff_base_ms: 1 }',
    });
    try {
      const report = await refused.round();
      expect(report.feeds[0]).toMatchObject({ outcome: 'failed', attempts: 2, hasCopy: false });
      expect(report.feeds[0]?.error).toContain('ECONNREFUSED');
    } finally {
      await refused.cleanup();
    }
  });

  it('does not retry a 404 and fails the build when that feed has no copy at all', async () => {
    server.fault('/cloud.json', { kind: 'status', status: 404 });
    const report = await ws.round();
    expect(server.requestsFor('/cloud.json')).toHaveLength(1);
    expect(report.feeds.find((f) => f.name === 'gcp')).toMatchObject({ outcome: 'failed', hasCopy: false });
    expect(report.rebuild).toBe('failed');
    expect(report.reason).toContain('cloud.json');
    expect(exitStatusOf(report)).toBe(1);
  });

  it('rejects an HTML error page served with 200 for the AWS feed and keeps the old copy', async () => {
    server.serveFile('/ip-ranges.json', FILES.aws, 'application/json');
    const aws = await workspace(server, {
      sources: `  - { name: aws, format: aws, url: "${server.url('/ip-ranges.json')}", path: data/ip-ranges.json }`,
    });
    try {
      await aws.round();
      server.fault('/ip-ranges.json', { kind: 'body', body: '<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>', contentType: 'text/html' });
      const report = await aws.round();
      const feed = report.feeds[0]!;
      expect(feed.outcome).toBe('failed');
      expect(feed.error).toContain('not a valid aws feed');
      expect(feed.error).toContain(server.url('/ip-ranges.json'));
      expect(report.rebuild).toBe('up_to_date');
      expect(await sameBytes(path.join(aws.dir, 'data', 'ip-ranges.json'), FILES.aws)).toBe(true);
      expect(await leftovers(path.join(aws.dir, 'data'))).toEqual([]);
      // The remembered validators still describe the copy in place, the publisher's file.
      expect((await readFeedState(path.join(aws.dir, 'data', 'ip-ranges.json')))?.sha256).toBe(sharedSha256('cloud/aws/ip-ranges.json'));
      const index = await readSnapshot(aws.snapshot);
      expect(find(index, firstAddress(FACTS.firstAwsV4Prefix))?.security.is_cloud_provider).toBe(true);
    } finally {
      await aws.cleanup();
    }
  });

  it('rejects a tor list page that holds no address at all', async () => {
    await ws.round();
    server.fault('/torbulkexitlist', { kind: 'body', body: '<html><body>rate limited, try later</body></html>\n', contentType: 'text/html' });
    const report = await ws.round();
    expect(report.feeds.find((f) => f.name === 'tor')).toMatchObject({ outcome: 'failed', hasCopy: true });
    expect(await sameBytes(path.join(ws.dir, 'data', 'torbulkexitlist'), FILES.tor)).toBe(true);
  });

  it('refuses a body whose Content-Length is over max_bytes before reading it', async () => {
    // The GCP file is 80,117 bytes; the Tor and Cloudflare lists are far smaller.
    const small = await workspace(server, { update: '{ max_bytes: 50000, retries: 2, backoff_base_ms: 1 }' });
    try {
      const report = await small.round();
      const gcp = report.feeds.find((f) => f.name === 'gcp')!;
      expect(gcp.outcome).toBe('failed');
      expect(gcp.error).toContain('update.max_bytes (50000)');
      // Too large is not a passing fault: no retry.
      expect(server.requestsFor('/cloud.json')).toHaveLength(1);
      // The small feeds fit and were stored.
      expect(report.feeds.find((f) => f.name === 'tor')?.outcome).toBe('updated');
    } finally {
      await small.cleanup();
    }
  });

  it('aborts a body without Content-Length once it passes max_bytes, closing the connection', async () => {
    // Room for the real GCP file (80,117 bytes), not for an endless body.
    const bounded = await workspace(server, { update: '{ max_bytes: 1000000, retries: 2, backoff_base_ms: 1 }' });
    try {
      await bounded.round();
      server.fault('/cloud.json', { kind: 'endless' });
      const report = await bounded.round();
      const gcp = report.feeds.find((f) => f.name === 'gcp')!;
      expect(gcp.outcome).toBe('failed');
      expect(gcp.error).toContain('more than update.max_bytes (1000000)');
      expect(gcp.hasCopy).toBe(true);
      expect(server.requestsFor('/cloud.json')).toHaveLength(2);
      await waitFor(() => server.abortedByClient.includes('/cloud.json'));
      expect(await sameBytes(path.join(bounded.dir, 'data', 'cloud.json'), FILES.gcp)).toBe(true);
      expect(await leftovers(path.join(bounded.dir, 'data'))).toEqual([]);
    } finally {
      await bounded.cleanup();
    }
  });

  it('rejects a download whose sha256 differs from the one the source declares', async () => {
    const wrong = '0'.repeat(64);
    const pinned = await workspace(server, {
      sources: `  - { name: gcp, format: gcp, url: "${server.url('/cloud.json')}", path: data/gcp.json, sha256: "${wrong}" }`,
    });
    try {
      const report = await pinned.round();
      const gcp = report.feeds[0]!;
      expect(gcp.outcome).toBe('failed');
      expect(gcp.error).toContain(`sha256 is ${sharedSha256('cloud/gcp/cloud.json')}`);
      expect(gcp.error).toContain(wrong);
      expect(report.rebuild).toBe('failed');
      expect(await leftovers(path.join(pinned.dir, 'data'))).toEqual([]);
    } finally {
      await pinned.cleanup();
    }
  });

  it('accepts a download matching the sha256 published in the shared data checksums', async () => {
    const pinned = await workspace(server, {
      sources: `  - { name: gcp, format: gcp, url: "${server.url('/cloud.json')}", path: data/gcp.json, sha256: "${sharedSha256('cloud/gcp/cloud.json')}" }`,
    });
    try {
      const report = await pinned.round();
      expect(report.feeds[0]?.outcome).toBe('updated');
      expect(report.rebuild).toBe('written');
    } finally {
      await pinned.cleanup();
    }
  });

  it('gives up on a server that never answers after timeout_ms and keeps the copy', async () => {
    const quick = await workspace(server, { update: '{ timeout_ms: 200, retries: 1, backoff_base_ms: 1 }' });
    try {
      await quick.round();
      server.fault('/ips-v6', { kind: 'stall' });
      const report = await quick.round();
      const cf = report.feeds.find((f) => f.name === 'cloudflare-v6')!;
      expect(cf).toMatchObject({ outcome: 'failed', hasCopy: true });
      expect(cf.error).toContain('no data for 200 ms');
      expect(server.requestsFor('/ips-v6')).toHaveLength(3);
    } finally {
      await quick.cleanup();
    }
  });

  it('stops a round when its signal aborts mid-download, removing the partial file and building nothing', async () => {
    await ws.round();
    const before = await stat(ws.snapshot);
    server.serveFile('/torbulkexitlist', FILES.torDoodad, 'text/plain');
    server.fault('/cloud.json', { kind: 'stall' });
    const controller = new AbortController();
    const round = ws.round({ signal: controller.signal, force: true });
    // Abort once the stalled request has reached the server.
    await waitFor(() => server.requestsFor('/cloud.json').length === 2);
    controller.abort();
    const report = await round;
    expect(report.aborted).toBe(true);
    expect(report.rebuild).toBe('aborted');
    expect(exitStatusOf(report)).toBe(1);
    expect((await stat(ws.snapshot)).mtimeMs).toBe(before.mtimeMs);
    expect(await sameBytes(path.join(ws.dir, 'data', 'cloud.json'), FILES.gcp)).toBe(true);
    expect(await leftovers(path.join(ws.dir, 'data'))).toEqual([]);
  });

  it('downloads only the sources named by only and rebuilds the rest from their local copies', async () => {
    await ws.round();
    server.serveFile('/torbulkexitlist', FILES.torDoodad, 'text/plain');
    server.serveFile('/cloud.json', FILES.aws, 'application/json');
    const report = await ws.round({ only: ['tor'] });
    expect(report.feeds.map((f) => f.name)).toEqual(['tor']);
    expect(report.local.map((f) => f.source.name)).toEqual(['gcp', 'cloudflare-v6']);
    expect(server.requestsFor('/cloud.json')).toHaveLength(1);
    expect(report.rebuild).toBe('written');
  });

  it('rebuilds when a local copy changed since the snapshot even though every feed answered 304', async () => {
    await ws.round();
    const file = path.join(ws.dir, 'data', 'torbulkexitlist');
    await writeFile(file, `${await readFile(file, 'utf8')}\n203.0.113.0/24\n`);
    const report = await ws.round();
    // The hand-edited copy is not what the server described: no validators were sent for it.
    expect(server.requestsFor('/torbulkexitlist')[1]?.headers['if-none-match']).toBeUndefined();
    expect(report.feeds.find((f) => f.name === 'tor')?.outcome).toBe('updated');
    expect(report.rebuild).toBe('written');
  });

  it('never prints or stores a licence key carried in a feed URL', async () => {
    server.serveFile('/licensed.txt', FILES.tor, 'text/plain');
    server.serveFile('/broken.txt', FILES.tor, 'text/plain');
    server.fault('/broken.txt', { kind: 'status', status: 503 });
    const keyed = await workspace(server, {
      sources: [
        `  - { name: licensed, format: tor-exits, url: "${server.url('/licensed.txt')}?license_key=S3CR3T", path: data/licensed.txt }`,
        `  - { name: broken, format: tor-exits, url: "${server.url('/broken.txt')}?license_key=S3CR3T", path: data/broken.txt }`,
      ].join('\n'),
    });
    try {
      const lines: string[] = [];
      const report = await keyed.round({ report: (line) => lines.push(line) });
      expect(report.feeds.map((f) => f.outcome)).toEqual(['updated', 'failed']);
      // Redaction is for people reading: the publisher still gets its key.
      expect(server.requestsFor('/licensed.txt').map((r) => r.url)).toEqual(['/licensed.txt?license_key=S3CR3T']);
      const everything = [JSON.stringify(report), ...lines, await readFile(path.join(keyed.dir, 'data', 'licensed.txt.meta.json'), 'utf8')].join('\n');
      expect(everything).toContain('license_key=***');
      expect(everything).not.toContain('S3CR3T');
    } finally {
      await keyed.cleanup();
    }
  });

  it('counts each feed outcome in iprisk_feed_updates_total', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    await ws.round({ metrics });
    server.fault('/cloud.json', { kind: 'status', status: 500 });
    await ws.round({ metrics });
    const values = (await metrics.feedUpdates.get()).values.map((v) => [v.labels.source, v.labels.outcome, v.value]);
    expect(values).toEqual(
      expect.arrayContaining([
        ['tor', 'updated', 1],
        ['tor', 'not_modified', 1],
        ['gcp', 'updated', 1],
        ['gcp', 'failed', 1],
        ['cloudflare-v6', 'updated', 1],
        ['cloudflare-v6', 'not_modified', 1],
      ]),
    );
    expect(values).toHaveLength(6);
  });
});

/** Polls a condition every 10 ms; fails after 5 s so that a hang is reported, not waited out. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
