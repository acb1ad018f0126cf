import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SecurityRecord } from '../../src/security/record.js';
import { emptySecurity } from '../../src/security/record.js';

/**
 * A fault-injecting HTTP server on 127.0.0.1 speaking the two remote protocols iprisk uses:
 * - ipgeolocation v3 (seed 001): GET /v3/security?apiKey=&ip=, POST /v3/security-bulk?apiKey=
 *   with {"ips": [...]}; 401 without the right key; per-entry {"message"} objects; 2 credits
 *   per answered address in X-Credits-Charged; X-Successful-Record when some entry is a message.
 * - IPQualityScore (seed 003): GET /api/json/ip/{KEY}/{IP}?strictness=...; success:false with a
 *   message for a wrong key.
 * Answers come from tables; faults are queued per request (first request takes the first
 * fault) or set for every request until healed. Every request is recorded with the key redacted.
 */

/** A table row: the security object to answer with (missing fields take defaults), or a message in its place. */
export type TableRow = Partial<SecurityRecord> | { message: string };

export type Fault =
  /** Wait, then answer as usual (or as the next part of a combined fault says). */
  | { kind: 'delay'; ms: number }
  /** Answer with this status and body (401, 403, 404, 500, ...). */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** 429, with Retry-After when given (seconds or an HTTP date). */
  | { kind: 'rate_limit'; retryAfter?: string }
  /** Drop the connection without a response. */
  | { kind: 'reset' }
  /** 200 with a body that is not JSON. */
  | { kind: 'malformed' }
  /** A bulk answer that leaves out `drop`, adds entries for `extra` (never asked), optionally reversed. */
  | { kind: 'partial'; drop?: readonly string[]; extra?: readonly string[]; reverse?: boolean }
  /** Hold the answer until `release` resolves. */
  | { kind: 'hold'; release: Promise<unknown> };

export interface RecordedRequest {
  method: string;
  /** Path and query with the API key replaced by [redacted]. */
  path: string;
  /** Addresses the request asked about. */
  ips: string[];
  body: string;
  /** The fault applied, if any. */
  fault: Fault['kind'] | null;
}

export interface FaultServerOptions {
  /** ipgeolocation/iprisk answers by address; an address not in the table gets the all-defaults record. */
  table?: Record<string, TableRow>;
  /** IPQS answers by address (merged over a clean success answer). */
  ipqs?: Record<string, Record<string, unknown>>;
  /** The key clients must send; undefined accepts any (or none). */
  apiKey?: string;
}

const CLEAN_IPQS = {
  success: true,
  message: 'Success',
  fraud_score: 0,
  country_code: 'US',
  region: 'N/A',
  city: 'N/A',
  ISP: 'N/A',
  ASN: 0,
  organization: 'N/A',
  is_crawler: false,
  timezone: 'N/A',
  mobile: false,
  host: 'N/A',
  proxy: false,
  vpn: false,
  tor: false,
  active_vpn: false,
  active_tor: false,
  recent_abuse: false,
  bot_status: false,
  connection_type: 'Residential',
  abuse_velocity: 'none',
  latitude: 0,
  longitude: 0,
  request_id: 'test',
};

export class FaultServer extends EventEmitter {
  readonly requests: RecordedRequest[] = [];
  private readonly server: http.Server;
  private readonly options: FaultServerOptions;
  private readonly queued: Fault[][] = [];
  private always: Fault[] | undefined;
  private port = 0;

  private constructor(options: FaultServerOptions) {
    super();
    this.options = options;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
      });
    });
  }

  static async start(options: FaultServerOptions = {}): Promise<FaultServer> {
    const s = new FaultServer(options);
    s.server.listen(0, '127.0.0.1');
    await once(s.server, 'listening');
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next requests take these faults, one each, in order. A nested array applies several to one request. */
  fail(...faults: (Fault | Fault[])[]): this {
    for (const f of faults) this.queued.push(Array.isArray(f) ? f : [f]);
    return this;
  }

  /** Every request takes these faults until heal(). */
  failAll(...faults: Fault[]): this {
    this.always = faults;
    return this;
  }

  heal(): this {
    this.always = undefined;
    this.queued.length = 0;
    return this;
  }

  setRow(ip: string, row: TableRow): void {
    (this.options.table ??= {})[ip] = row;
  }

  /** How many requests asked about this address. */
  askedCount(ip: string): number {
    return this.requests.filter((r) => r.ips.includes(ip)).length;
  }

  /** Resolves once `count` requests in all have been received (bounded by timeoutMs). */
  async waitForRequests(count: number, timeoutMs = 5_000): Promise<void> {
    const deadline = AbortSignal.timeout(timeoutMs);
    while (this.requests.length < count) {
      await once(this, 'request', { signal: deadline }).catch(() => {
        throw new Error(`fault server: ${this.requests.length} requests within ${timeoutMs} ms, expected ${count}`);
      });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => { resolve(); }));
  }

  private takeFaults(): Fault[] {
    if (this.always) return this.always;
    return this.queued.shift() ?? [];
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    const faults = this.takeFaults();
    const ips = this.askedIps(req.method ?? 'GET', url, body);
    this.requests.push({ method: req.method ?? 'GET', path: this.redacted(url), ips, body, fault: faults[0]?.kind ?? null });
    this.emit('request');

    let partial: Extract<Fault, { kind: 'partial' }> | undefined;
    for (const fault of faults) {
      switch (fault.kind) {
        case 'delay':
          await new Promise((resolve) => setTimeout(resolve, fault.ms));
          break;
        case 'hold':
          await fault.release;
          break;
        case 'reset':
          req.socket.destroy();
          return;
        case 'malformed':
          send(res, 200, '[{"ip": "1.2.3.4", "security": {', {});
          return;
        case 'rate_limit':
          send(res, 429, JSON.stringify({ message: 'API usage limit reached' }), fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter });
          return;
        case 'status':
          send(res, fault.status, fault.body ?? JSON.stringify({ message: `status ${fault.status}` }), fault.headers ?? {});
          return;
        case 'partial':
          partial = fault;
          break;
      }
    }
    if (res.destroyed) return;

    if (url.pathname.startsWith('/api/json/ip/')) {
      this.answerIpqs(url, res);
      return;
    }
    const key = url.searchParams.get('apiKey');
    if (this.options.apiKey !== undefined && key !== this.options.apiKey) {
      send(res, 401, JSON.stringify({ message: 'Provided API key is not valid.' }), {});
      return;
    }
    if (url.pathname === '/v3/security' && req.method === 'GET') {
      const ip = url.searchParams.get('ip') ?? '';
      const row = this.options.table?.[ip];
      if (row && 'message' in row) send(res, 423, JSON.stringify({ message: row.message }), {});
      else send(res, 200, JSON.stringify({ ip, security: { ...emptySecurity(), ...row } }), { 'x-credits-charged': '2' });
      return;
    }
    if (url.pathname === '/v3/security-bulk' && req.method === 'POST') {
      if (ips.length === 0) {
        send(res, 400, JSON.stringify({ message: "'ips' must not be empty" }), {});
        return;
      }
      let asked = ips.filter((ip) => !partial?.drop?.includes(ip));
      asked = [...asked, ...(partial?.extra ?? [])];
      if (partial?.reverse) asked.reverse();
      const entries = asked.map((ip) => {
        const row = this.options.table?.[ip];
        return row && 'message' in row ? { message: row.message } : { ip, security: { ...emptySecurity(), ...row } };
      });
      const answered = entries.filter((e) => 'security' in e).length;
      const headers: Record<string, string> = { 'x-credits-charged': String(2 * answered) };
      if (answered < entries.length) headers['x-successful-record'] = String(answered);
      send(res, 200, JSON.stringify(entries), headers);
      return;
    }
    send(res, 404, JSON.stringify({ message: 'not found' }), {});
  }

  private answerIpqs(url: URL, res: http.ServerResponse): void {
    const [, , , , key, ip] = url.pathname.split('/');
    if (this.options.apiKey !== undefined && decodeURIComponent(key ?? '') !== this.options.apiKey) {
      send(res, 200, JSON.stringify({ success: false, message: 'Invalid or unauthorized key. Please check the API key and try again.', request_id: 'x' }), {});
      return;
    }
    const row = this.options.ipqs?.[ip ?? ''] ?? {};
    send(res, 200, JSON.stringify({ ...CLEAN_IPQS, ...row }), {});
  }

  private askedIps(method: string, url: URL, body: string): string[] {
    if (url.pathname.startsWith('/api/json/ip/')) return [url.pathname.split('/')[5] ?? ''];
    if (method === 'GET') return [url.searchParams.get('ip') ?? ''];
    try {
      const parsed = JSON.parse(body) as { ips?: unknown };
      return Array.isArray(parsed.ips) ? parsed.ips.filter((ip): ip is string => typeof ip === 'string') : [];
    } catch {
      return [];
    }
  }

  private redacted(url: URL): string {
    const copy = new URL(url.href);
    if (copy.searchParams.has('apiKey')) copy.searchParams.set('apiKey', '[redacted]');
    let path = copy.pathname;
    if (path.startsWith('/api/json/ip/')) {
      const parts = path.split('/');
      parts[4] = '[redacted]';
      path = parts.join('/');
    }
    return `${path}${decodeURIComponent(copy.search)}`;
  }
}

function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
}
