import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { formatIPv4 } from '../../src/ip/address.js';
import type { SnapshotData } from '../../src/range-index/types.js';
import type { Prng } from './prng.js';
import { queriesV4, queriesV6 } from './queries.js';

/** Shares of client_ip forms in the generated access log, in percent. */
const MIX: readonly [kind: ClientKind, percent: number][] = [
  ['indexed-v4', 30],
  ['unknown-v4', 28],
  ['private-v4', 14],
  ['v4-with-port', 3],
  ['mapped-v4', 2],
  ['v6', 12],
  ['bracketed-v6', 3],
  ['link-local-v6', 2],
  ['placeholder', 3],
  ['missing', 3],
];

type ClientKind =
  | 'indexed-v4'
  | 'unknown-v4'
  | 'private-v4'
  | 'v4-with-port'
  | 'mapped-v4'
  | 'v6'
  | 'bracketed-v6'
  | 'link-local-v6'
  | 'placeholder'
  | 'missing';

const METHODS = ['GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'];
const HOSTS = ['shop.example.com', 'api.example.com', 'static.example.com', 'auth.example.com'];
const PATHS = ['/', '/login', '/cart', '/checkout', '/api/v2/orders', '/api/v2/products', '/static/app.js', '/healthz', '/search', '/wp-login.php'];
const STATUSES = [200, 200, 200, 200, 200, 200, 304, 301, 404, 401, 403, 500, 502];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'curl/8.5.0',
  'python-requests/2.31.0',
  'Go-http-client/1.1',
  'kube-probe/1.30',
];
const REFERRERS = [null, null, null, 'https://shop.example.com/', 'https://www.google.com/', 'https://shop.example.com/cart'];

/**
 * A pool of client addresses of each kind, drawn from with a skew (a few heavy clients, a long
 * tail), as real access logs repeat addresses: the enricher looks each batch's unique
 * addresses up once, and a benchmark of all-distinct addresses would hide that.
 */
class ClientPool {
  private readonly pools = new Map<ClientKind, string[]>();
  private readonly cumulative: number[] = [];

  constructor(
    index: SnapshotData,
    private readonly rng: Prng,
    size: number,
  ) {
    const v4 = queriesV4(index.v4, size * 2, rng);
    // queriesV4 puts indexed addresses and random public ones in one shuffled list; split them
    // again by asking which are inside indexed ranges.
    const inside = v4.values.filter((v) => isIndexedV4(index, v));
    const outside = v4.values.filter((v) => !isIndexedV4(index, v));
    const v6 = queriesV6(index.v6, size * 2, rng);
    const half = v6.text.length >> 1;
    const privateV4 = (): string => {
      const r = rng.int(3);
      if (r === 0) return `10.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`;
      if (r === 1) return `192.168.${rng.int(256)}.${1 + rng.int(254)}`;
      return `172.${16 + rng.int(16)}.${rng.int(256)}.${1 + rng.int(254)}`;
    };
    const list = (n: number, make: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => make(i));
    this.pools.set('indexed-v4', Array.from(inside.slice(0, size), formatIPv4));
    this.pools.set('unknown-v4', Array.from(outside.slice(0, size), formatIPv4));
    this.pools.set('private-v4', list(size >> 2, privateV4));
    this.pools.set('v4-with-port', list(size >> 2, (i) => `${formatIPv4(v4.values[i]!)}:${1024 + rng.int(64_000)}`));
    this.pools.set('mapped-v4', list(size >> 2, (i) => `::ffff:${formatIPv4(v4.values[i]!)}`));
    // Half inside indexed IPv6 ranges, half random global unicast, shuffled.
    this.pools.set('v6', v6.text.slice(0, half));
    this.pools.set('bracketed-v6', list(size >> 2, (i) => `[${v6.text[half + i] ?? v6.text[0]!}]:443`));
    this.pools.set('link-local-v6', list(size >> 4, () => `fe80::${rng.int(0x10000).toString(16)}:${rng.int(0x10000).toString(16)}%eth0`));
    this.pools.set('placeholder', ['-', 'unknown', '', 'null']);
    let total = 0;
    for (const [, percent] of MIX) this.cumulative.push((total += percent));
  }

  /** The client_ip value of one event, or undefined for an event without the field. */
  draw(): string | undefined {
    const u = this.rng.float() * 100;
    let k = 0;
    while (this.cumulative[k]! <= u) k++;
    const kind = MIX[k]![0];
    if (kind === 'missing') return undefined;
    const pool = this.pools.get(kind)!;
    // Squaring a uniform draw favours the pool's head: the first 1% of clients send ~10%.
    const r = this.rng.float();
    return pool[Math.floor(r * r * pool.length)]!;
  }
}

function isIndexedV4(index: SnapshotData, value: number): boolean {
  const starts = index.v4.starts;
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return index.v4.entryIds[lo - 1]! >= 0;
}

function hex(rng: Prng, digits: number): string {
  let s = '';
  while (s.length < digits) s += rng.next().toString(16).padStart(8, '0');
  return s.slice(0, digits);
}

/**
 * Writes `count` access events as JSONL: the fields an nginx or load balancer JSON log carries,
 * with client_ip drawn from a seeded mix of index hits, unknown public addresses, private ones,
 * IPv6 in several forms, placeholders and events with no address at all.
 */
export async function writeAccessLog(file: string, count: number, index: SnapshotData, rng: Prng): Promise<number> {
  const clients = new ClientPool(index, rng, 20_000);
  const out = createWriteStream(file);
  let time = Date.parse('2026-03-02T10:00:00Z');
  let bytes = 0;
  let text = '';
  for (let i = 0; i < count; i++) {
    time += rng.int(40);
    const event: Record<string, unknown> = { timestamp: new Date(time).toISOString() };
    const ip = clients.draw();
    if (ip !== undefined) event.client_ip = ip;
    const path = rng.pick(PATHS);
    Object.assign(event, {
      method: rng.pick(METHODS),
      host: rng.pick(HOSTS),
      path: path === '/search' ? `/search?q=${hex(rng, 6)}` : path,
      status: rng.pick(STATUSES),
      bytes: rng.int(60_000),
      user_agent: rng.pick(AGENTS),
      referrer: rng.pick(REFERRERS),
      request_id: hex(rng, 16),
    });
    text += `${JSON.stringify(event)}\n`;
    if (text.length > 1 << 16) {
      bytes += text.length;
      if (!out.write(text)) await once(out, 'drain');
      text = '';
    }
  }
  bytes += text.length;
  out.end(text);
  await once(out, 'close');
  return bytes;
}
