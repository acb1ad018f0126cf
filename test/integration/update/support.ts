import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { parseIPv4, parseIPv6 } from '../../../src/ip/address.js';
import type { IndexEntry, RangeIndex } from '../../../src/range-index/types.js';
import { planUpdate } from '../../../src/update/plan.js';
import type { PlanOptions } from '../../../src/update/plan.js';
import { runUpdateRound } from '../../../src/update/update-round.js';
import type { UpdateRoundOptions, UpdateRoundReport } from '../../../src/update/update-round.js';
import { sharedData } from '../../helpers/paths.js';
import { FeedServer } from './feed-server.js';

/** The real files the tests serve, and facts read from them (never from iprisk's output). */
export const FILES = {
  tor: sharedData('tor', 'torbulkexitlist'),
  torDoodad: sharedData('tor', 'doodad-labs_exit-nodes.txt'),
  aws: sharedData('cloud', 'aws', 'ip-ranges.json'),
  gcp: sharedData('cloud', 'gcp', 'cloud.json'),
  cloudflareV6: sharedData('cloud', 'cloudflare', 'ips-v6'),
} as const;

function dataLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The publisher's checksum list shipped with the shared data: `sha256  ./path`. */
export function sharedSha256(relative: string): string {
  const line = readFileSync(sharedData('SHA256SUMS'), 'utf8')
    .split('\n')
    .find((l) => l.endsWith(`  ./${relative}`));
  if (!line) throw new Error(`SHA256SUMS has no line for ${relative}`);
  return line.slice(0, 64);
}

export const FACTS = {
  firstTorExit: dataLines(FILES.tor)[0]!,
  /** An IPv6 exit from the doodad-labs list: the Tor Project's bulk list has no IPv6 at all. */
  doodadV6Exit: dataLines(FILES.torDoodad).find((l) => l.includes(':'))!,
  firstAwsV4Prefix: (JSON.parse(readFileSync(FILES.aws, 'utf8')) as { prefixes: { ip_prefix: string }[] }).prefixes[0]!.ip_prefix,
  firstGcpV4Prefix: (JSON.parse(readFileSync(FILES.gcp, 'utf8')) as { prefixes: { ipv4Prefix?: string }[] }).prefixes.find((p) => p.ipv4Prefix)!.ipv4Prefix!,
  firstCloudflareV6Prefix: dataLines(FILES.cloudflareV6)[0]!,
};

/** The first address of a CIDR, as text. */
export function firstAddress(cidr: string): string {
  return cidr.split('/')[0]!;
}

export function find(index: RangeIndex, ip: string): IndexEntry | undefined {
  if (ip.includes(':')) {
    const words = parseIPv6(ip);
    if (!words) throw new Error(`test address ${ip} is not IPv6`);
    return index.findV6(words);
  }
  return index.findV4(parseIPv4(ip));
}

export interface Workspace {
  dir: string;
  config: string;
  snapshot: string;
  /** One round over the workspace's config, as `index update -c config` runs it. */
  round(options?: UpdateRoundOptions & PlanOptions): Promise<UpdateRoundReport>;
  cleanup(): Promise<void>;
}

/** `update:` settings that keep failing tests fast: quick retries, short stalls. */
export const FAST_UPDATE = '{ retries: 2, backoff_base_ms: 1, timeout_ms: 5000 }';

/**
 * A temp folder with a config whose sources point at `server`: tor and gcp downloaded into
 * data/, cloudflare-v6 with a url only (stored under feeds/). GCP rather than AWS stands for the
 * JSON feeds here: the AWS file takes a second to parse and build, the tests need dozens of rounds.
 */
export async function workspace(server: FeedServer, options: { update?: string; sources?: string; index?: string } = {}): Promise<Workspace> {
  const dir = await mkdtemp(path.join(tmpdir(), 'iprisk-update-'));
  const config = path.join(dir, 'sources.yaml');
  const sources =
    options.sources ??
    [
      `  - { name: tor, format: tor-exits, url: "${server.url('/torbulkexitlist')}", path: data/torbulkexitlist }`,
      `  - { name: gcp, format: gcp, url: "${server.url('/cloud.json')}", path: data/cloud.json }`,
      `  - { name: cloudflare-v6, format: cloudflare, url: "${server.url('/ips-v6')}" }`,
    ].join('\n');
  await writeFile(config, `index: ${options.index ?? '{ path: index.snap }'}\nupdate: ${options.update ?? FAST_UPDATE}\nsources:\n${sources}\n`);
  return {
    dir,
    config,
    snapshot: path.join(dir, 'index.snap'),
    async round(opts = {}) {
      const loaded = loadConfig(config, {});
      return runUpdateRound(loaded, planUpdate(loaded, opts), opts);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Serves the three default workspace feeds from the real files. */
export function serveDefaults(server: FeedServer): void {
  server.serveFile('/torbulkexitlist', FILES.tor, 'text/plain');
  server.serveFile('/cloud.json', FILES.gcp, 'application/json');
  server.serveFile('/ips-v6', FILES.cloudflareV6, 'text/plain');
}

/**
 * For each test of the calling file: a FeedServer serving the three default feeds and a
 * workspace on it, handed to `use` before the test, closed and removed after it.
 */
export function defaultWorkspaceEachTest(use: (server: FeedServer, ws: Workspace) => void): void {
  let server: FeedServer | undefined;
  let ws: Workspace | undefined;
  beforeEach(async () => {
    server = await FeedServer.start();
    serveDefaults(server);
    ws = await workspace(server);
    use(server, ws);
  });
  afterEach(async () => {
    await server?.close();
    await ws?.cleanup();
  });
}

export async function sameBytes(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([readFile(a), readFile(b)]);
  return x.equals(y);
}
