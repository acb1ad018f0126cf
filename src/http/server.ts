import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ConfigError } from '../errors.js';
import type { LookupProvider } from '../enrich/lookup-provider.js';
import type { IndexSource } from '../enrich/enricher.js';
import { IpExtractor } from '../enrich/extract-ip.js';
import { Projection } from '../security/projection.js';
import type { Metrics } from '../telemetry/metrics.js';
import { ApiError } from './api-error.js';
import { classifyApiIp, entryMessage, quoted } from './api-ip.js';
import type { ApiKeyStore } from './api-keys.js';
import { AnswerRenderer, Lookup, slotFor } from './answers.js';
import type { Slot } from './answers.js';
import { ClientGone, decodeUtf8, mediaType, readBody } from './body.js';
import { parseBulkBody } from './bulk-request.js';
import type { OutputFormat } from './params.js';
import { forbiddenCharacterError, outputFormat, readParams, splitUrl } from './params.js';
import { InFlightLimits } from './in-flight.js';
import { RateLimiter } from './rate-limit.js';
import { TurnQueue } from './turns.js';
import type { ServeConfig } from './serve-schema.js';
import { XML_DECLARATION, xmlDocument } from './xml.js';

/** The logger calls the server makes; a pino logger fits as it is. */
export interface ServeLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const SILENT: ServeLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface SecurityApiOptions {
  config: ServeConfig;
  index: IndexSource;
  /** Accepted keys. Empty means open access, refused unless config.allow_anonymous is true. */
  keys: ApiKeyStore;
  metrics: Metrics;
  logger?: ServeLogger;
  /** Asked about addresses the index does not hold (a remote API behind a cache). */
  fallback?: LookupProvider;
  /** Extra readiness condition for /readyz besides the index being loaded (e.g. consumer assigned). */
  ready?: () => boolean;
  /** false: only /healthz, /readyz and /metrics (the metrics port of `run`); no key is needed then. */
  apiRoutes?: boolean;
  clock?: () => number;
}

/** How much of an oversized body is read and dropped, in multiples of max_body_bytes. */
const DISCARD_FACTOR = 4;

type BoundCounter = ReturnType<Metrics['indexLookups']['labels']>;

/** ipgeolocation charges 2 credits per valid address; clients reading X-Credits-Charged keep working. */
export const CREDITS_PER_IP = 2;

type RouteName = 'security' | 'security-bulk' | 'healthz' | 'readyz' | 'metrics';

interface Route {
  name: RouteName;
  methods: readonly string[];
}

const ROUTES = new Map<string, Route>([
  ['/v3/security', { name: 'security', methods: ['GET'] }],
  ['/v3/security-bulk', { name: 'security-bulk', methods: ['POST'] }],
  ['/healthz', { name: 'healthz', methods: ['GET', 'HEAD'] }],
  ['/readyz', { name: 'readyz', methods: ['GET', 'HEAD'] }],
  ['/metrics', { name: 'metrics', methods: ['GET', 'HEAD'] }],
]);

const JSON_TYPE = 'application/json; charset=utf-8';
const XML_TYPE = 'application/xml; charset=utf-8';

function contentType(format: OutputFormat): string {
  return format === 'json' ? JSON_TYPE : XML_TYPE;
}

function ignore(): void {
  return;
}

/** The caller's address as the socket reports it, IPv4-mapped IPv6 read as IPv4. */
function socketAddress(req: IncomingMessage): string | undefined {
  const address = req.socket.remoteAddress;
  if (address === undefined) return undefined;
  return address.toLowerCase().startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * `iprisk serve`: ipgeolocation's v3 IP Security API (GET /v3/security, POST
 * /v3/security-bulk) answered from the local index, plus /healthz, /readyz and /metrics.
 * Built on node:http alone. Each request reads `index.current` once and answers from that one
 * index, so a reload never splits a request across two indexes.
 */
export class SecurityApiServer {
  readonly server: Server;
  private readonly config: ServeConfig;
  private readonly index: IndexSource;
  private readonly keys: ApiKeyStore;
  private readonly metrics: Metrics;
  private readonly logger: ServeLogger;
  private readonly fallback: LookupProvider | undefined;
  private readonly ready: () => boolean;
  private readonly limiter: RateLimiter | undefined;
  private readonly lookupHits: BoundCounter;
  private readonly lookupMisses: BoundCounter;
  private readonly apiRoutes: boolean;
  /** Bulk work takes turns here, one piece per event-loop iteration for the whole server. */
  private readonly turns = new TurnQueue();
  private readonly inFlight: InFlightLimits;
  /** The caller's address from the socket, or from X-Forwarded-For behind trusted proxies. */
  private readonly callers: IpExtractor;
  private closing = false;

  constructor(options: SecurityApiOptions) {
    this.apiRoutes = options.apiRoutes ?? true;
    if (this.apiRoutes && options.keys.size === 0 && !options.config.allow_anonymous) {
      throw new ConfigError('serve', ['no API key configured and serve.allow_anonymous is false: the API would be open to anyone']);
    }
    this.config = options.config;
    this.index = options.index;
    this.keys = options.keys;
    this.metrics = options.metrics;
    this.logger = options.logger ?? SILENT;
    this.fallback = options.fallback;
    this.ready = options.ready ?? (() => true);
    const perMinute = options.config.rate_limit_per_minute;
    this.limiter = perMinute > 0 ? new RateLimiter(perMinute, options.clock) : undefined;
    this.inFlight = new InFlightLimits(options.config.max_in_flight_requests_per_key, options.config.max_in_flight_bulk_ips_per_key);
    // The enricher's reading of a proxy chain, on a two-field record: the socket's address and the header.
    this.callers = new IpExtractor({ ip_fields: ['socket'], xff_field: 'forwarded_for', trusted_proxies: options.config.trusted_proxies });
    this.lookupHits = this.metrics.indexLookups.labels('hit');
    this.lookupMisses = this.metrics.indexLookups.labels('miss');
    const requestTimeout = options.config.request_timeout_ms;
    this.server = createServer(
      {
        requestTimeout,
        headersTimeout: Math.min(requestTimeout, 60_000),
        keepAliveTimeout: options.config.keep_alive_timeout_ms,
        // Timeouts are enforced by a sweep at this interval; Node's default (30 s) is too coarse.
        connectionsCheckingInterval: Math.min(requestTimeout, 2000),
      },
      (req, res) => {
        this.handle(req, res);
      },
    );
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      this.clientError(err, socket);
    });
    this.refreshIndexGauges();
  }

  /** Listens and resolves with the bound address (port 0 picks a free port). */
  listen(port = this.config.port, host = this.config.host): Promise<{ url: string; host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(err);
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const address = this.server.address() as AddressInfo;
        const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolve({ url: `http://${shown}:${address.port}`, host: address.address, port: address.port });
      });
    });
  }

  /**
   * Graceful stop: no new connections, idle keep-alive connections closed at once, in-flight
   * requests finish (answered with Connection: close) and their connections close after;
   * whatever is still open after `timeoutMs` is cut.
   */
  close(timeoutMs = this.config.shutdown_timeout_ms): Promise<void> {
    this.closing = true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.closeAllConnections();
      }, timeoutMs);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      this.server.closeIdleConnections();
    });
  }

  /** Version, ranges and build time of the serving index, read at scrape time (reloads included). */
  refreshIndexGauges(): void {
    const index = this.index.current;
    this.metrics.indexRanges.set({ family: 'ipv4' }, index.stats.rangesV4);
    this.metrics.indexRanges.set({ family: 'ipv6' }, index.stats.rangesV6);
    this.metrics.indexInfo.reset();
    this.metrics.indexInfo.set({ version: index.version }, 1);
    this.metrics.indexBuiltSeconds.set(index.builtAt.getTime() / 1000);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const { path, query } = splitUrl(req.url ?? '/');
    const found = ROUTES.get(path);
    const route = found && (this.apiRoutes || !found.name.startsWith('security')) ? found : undefined;
    const label = route?.name ?? 'unmatched';
    if (this.closing) res.setHeader('Connection', 'close');
    // A reset connection is the 499 counted below, not a crash of the process.
    req.on('error', ignore);
    res.on('error', ignore);
    res.on('close', () => {
      // A client that leaves before the answer is complete is counted as ipgeolocation's 499.
      const status = res.writableFinished ? String(res.statusCode) : '499';
      this.metrics.httpRequests.inc({ route: label, status });
      this.metrics.httpSeconds.observe({ route: label }, (performance.now() - started) / 1000);
      if (this.closing) {
        setImmediate(() => {
          this.server.closeIdleConnections();
        });
      }
    });

    const format = outputFormat(query, req.headers.accept);
    const chosen: OutputFormat = format instanceof ApiError ? 'json' : format;
    this.dispatch(req, res, route, path, query, format).catch((err: unknown) => {
      this.fail(req, res, err, chosen);
    });
  }

  private async dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route | undefined,
    path: string,
    query: URLSearchParams,
    format: OutputFormat | ApiError,
  ): Promise<void> {
    if (route === undefined) {
      const hint = path.startsWith('/v3/security/')
        ? ' Pass the address as a URL parameter: /v3/security?ip=...'
        : ' Endpoints: GET /v3/security, POST /v3/security-bulk, GET /healthz, /readyz, /metrics.';
      throw new ApiError(404, `No endpoint at '${quoted(path)}'.${hint}`);
    }
    if (!route.methods.includes(req.method ?? '')) {
      throw new ApiError(405, `Method ${quoted(req.method ?? '')} is not allowed on ${path}: use ${route.methods.join(' or ')}.`, {
        headers: { Allow: route.methods.join(', ') },
      });
    }
    switch (route.name) {
      case 'healthz':
        this.send(res, 200, JSON_TYPE, '{"status":"ok"}');
        return;
      case 'readyz':
        this.readyz(res);
        return;
      case 'metrics':
        await this.metricsText(res);
        return;
      case 'security':
      case 'security-bulk':
        break;
    }
    if (format instanceof ApiError) throw format;
    const forbidden = forbiddenCharacterError(query);
    if (forbidden) throw forbidden;
    const params = readParams(query);
    const caller = this.authenticate(params.apiKey, req);
    this.rateLimit(caller);
    res.once('close', this.inFlight.enter(caller));
    const projection = new Projection(params.fields, params.excludes);
    if (route.name === 'security') await this.single(req, res, params.ip, projection, format);
    else await this.bulk(req, res, caller, projection, format);
  }

  /** The caller's rate-limit identity: its key id, or its address when access is anonymous. */
  private authenticate(apiKey: string | undefined, req: IncomingMessage): string {
    if (this.keys.size === 0) return `anonymous:${req.socket.remoteAddress ?? '?'}`;
    if (apiKey === undefined || apiKey === '') {
      throw new ApiError(401, 'The apiKey URL parameter is missing: pass your API key as ?apiKey=...');
    }
    const id = this.keys.verify(apiKey);
    if (id === undefined) throw new ApiError(401, 'The provided API key is not valid.');
    return id;
  }

  private rateLimit(caller: string): void {
    if (this.limiter === undefined) return;
    const decision = this.limiter.take(caller);
    if (decision.allowed) return;
    throw new ApiError(
      429,
      `Too many requests: the limit is ${this.config.rate_limit_per_minute} per minute per API key. Retry after ${decision.retryAfterSecs} s.`,
      { headers: { 'Retry-After': String(decision.retryAfterSecs) } },
    );
  }

  private async single(req: IncomingMessage, res: ServerResponse, ip: string | undefined, projection: Projection, format: OutputFormat): Promise<void> {
    const text = ip ?? this.callerAddress(req);
    const parsed = classifyApiIp(text);
    switch (parsed.kind) {
      case 'bogon':
        throw new ApiError(423, entryMessage(parsed));
      case 'domain':
        // Seed 001's error table: a domain name in `ip` is a 401 on the security endpoint.
        throw new ApiError(401, `'${quoted(parsed.given)}' is a domain name: the IP Security API takes an IPv4 or IPv6 address in the ip parameter.`);
      case 'malformed':
        throw new ApiError(400, entryMessage(parsed));
      case 'public':
        break;
    }
    const lookup = new Lookup(this.index.current, this.fallback);
    const found = lookup.find(parsed.given, parsed.address);
    await lookup.resolveMisses((err, ips) => {
      this.fallbackFailed(err, ips);
    });
    this.countLookups(lookup);
    if (res.destroyed) return;
    const body = new AnswerRenderer(format, projection).render(found);
    this.send(res, 200, contentType(format), format === 'json' ? body : `${XML_DECLARATION}${body}\n`, {
      'X-Credits-Charged': String(CREDITS_PER_IP),
    });
  }

  /**
   * The address a request without `ip` is answered for: the socket's peer, or, when that peer
   * is inside serve.trusted_proxies, the right-most X-Forwarded-For hop outside them.
   */
  private callerAddress(req: IncomingMessage): string {
    const socket = socketAddress(req);
    if (socket === undefined) throw new ApiError(400, "The caller's address is unknown: pass the ip parameter.");
    const forwarded = req.headers['x-forwarded-for'];
    const found = this.callers.extract({ socket, ...(forwarded === undefined ? {} : { forwarded_for: forwarded }) });
    if (found.parsed.kind === 'invalid') {
      throw new ApiError(400, `The X-Forwarded-For address '${quoted(found.raw ?? '')}' is not a valid IP address: pass the ip parameter.`);
    }
    return found.parsed.ip;
  }

  private async bulk(req: IncomingMessage, res: ServerResponse, caller: string, projection: Projection, format: OutputFormat): Promise<void> {
    const type = mediaType(req.headers['content-type']);
    if (type !== 'application/json') {
      throw new ApiError(
        415,
        type === undefined
          ? 'The Content-Type header is missing: send the body as application/json.'
          : `Content-Type must be application/json, got '${quoted(type)}'.`,
      );
    }
    const body = await readBody(req, this.config.max_body_bytes);
    // JSON.parse of a 50,000-address body takes a few ms: a turn of its own, so that bodies
    // finishing in the same poll are not all parsed before the next single lookup.
    await this.turns.turn();
    if (gone(res)) return;
    const ips = parseBulkBody(decodeUtf8(body), this.config.max_bulk_ips);
    res.once('close', this.inFlight.enterIps(caller, ips.length));
    this.metrics.httpBulkIps.observe(ips.length);

    const chunk = this.config.bulk_chunk_size;
    const lookup = new Lookup(this.index.current, this.fallback);
    const slots: Slot[] = new Array<Slot>(ips.length);
    let valid = 0;
    for (let start = 0; start < ips.length; start += chunk) {
      if (start > 0) await this.turns.turn();
      if (gone(res)) return;
      const end = Math.min(ips.length, start + chunk);
      for (let i = start; i < end; i++) {
        const slot = slotFor(ips[i], lookup);
        if (typeof slot !== 'string') valid++;
        slots[i] = slot;
      }
    }
    await lookup.resolveMisses((err, count) => {
      this.fallbackFailed(err, count);
    });
    this.countLookups(lookup);

    const headers: Record<string, string> = { 'Content-Type': contentType(format), 'X-Credits-Charged': String(valid * CREDITS_PER_IP) };
    // Seed 001: X-Successful-Record only when at least one entry was invalid.
    if (valid < ips.length) headers['X-Successful-Record'] = String(valid);
    res.writeHead(200, headers);

    const renderer = new AnswerRenderer(format, projection);
    const separator = format === 'json' ? ',' : '';
    res.write(format === 'json' ? '[' : `${XML_DECLARATION}<responses>`);
    for (let start = 0; start < slots.length; start += chunk) {
      await this.turns.turn();
      if (gone(res)) return;
      const end = Math.min(slots.length, start + chunk);
      const parts: string[] = [];
      for (let i = start; i < end; i++) parts.push(renderer.render(slots[i]!));
      const text = (start > 0 ? separator : '') + parts.join(separator);
      if (!res.write(text) && !(await drained(res))) return;
    }
    res.end(format === 'json' ? ']' : '</responses>\n');
  }

  private readyz(res: ServerResponse): void {
    const index = this.index.current;
    if (!this.ready()) {
      this.send(res, 503, JSON_TYPE, JSON.stringify({ message: 'Not ready.' }));
      return;
    }
    this.send(res, 200, JSON_TYPE, JSON.stringify({ status: 'ready', index_version: index.version, index_built_at: index.builtAt.toISOString() }));
  }

  private async metricsText(res: ServerResponse): Promise<void> {
    this.refreshIndexGauges();
    const text = await this.metrics.registry.metrics();
    this.send(res, 200, this.metrics.registry.contentType, text);
  }

  private countLookups(lookup: Lookup): void {
    if (lookup.counts.hits > 0) this.lookupHits.inc(lookup.counts.hits);
    if (lookup.counts.misses > 0) this.lookupMisses.inc(lookup.counts.misses);
  }

  private fallbackFailed(err: unknown, ips: number): void {
    this.logger.warn({ err, ips }, 'lookup fallback failed; answering those addresses from the index alone');
  }

  private send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  private fail(req: IncomingMessage, res: ServerResponse, err: unknown, format: OutputFormat): void {
    if (err instanceof ClientGone || res.destroyed) return;
    if (res.headersSent) {
      // The answer was being streamed: it cannot turn into an error any more.
      this.logger.error({ err, url: req.url }, 'API answer failed while streaming');
      res.destroy();
      return;
    }
    let status = 500;
    let message = 'Internal error: the request could not be answered.';
    let headers: Record<string, string> = {};
    if (err instanceof ApiError) {
      status = err.status;
      message = err.message;
      headers = { ...err.headers };
      if (err.bodyUnread) this.discardBody(req);
    } else {
      this.logger.error({ err, url: req.url }, 'API request failed');
    }
    const body = format === 'json' ? JSON.stringify({ message }) : xmlDocument({ message });
    this.send(res, status, contentType(format), body, headers);
  }

  /**
   * Reads and drops the rest of a body answered early (413). Closing at once instead would
   * reset the connection while the client is still sending, and clients then report EPIPE or
   * ECONNRESET rather than the 413 (seen with undici on chunked uploads). A client sending
   * more than DISCARD_FACTOR limits' worth is cut off; the request timeout bounds the time.
   */
  private discardBody(req: IncomingMessage): void {
    const cap = this.config.max_body_bytes * DISCARD_FACTOR;
    let dropped = 0;
    req.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > cap) req.socket.destroy();
    });
    req.resume();
  }

  /** Malformed HTTP (bad framing, oversized headers, timeouts): answered in JSON, then closed. */
  private clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    let status = 400;
    let reason = 'Bad Request';
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      status = 431;
      reason = 'Request Header Fields Too Large';
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      status = 408;
      reason = 'Request Timeout';
    }
    const body = JSON.stringify({ message: `Malformed HTTP request (${err.code ?? 'parse error'}).` });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
}

/** The client left; a function, since a check before an await does not hold after it. */
function gone(res: ServerResponse): boolean {
  return res.destroyed;
}

/** Resolves true on 'drain', false when the response closes first. */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve(true);
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      resolve(false);
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
