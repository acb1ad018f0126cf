import type { IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Why a request produced no HTTP response. */
export type TransportFailure = 'timeout' | 'network' | 'closed';

export class TransportError extends Error {
  readonly kind: TransportFailure;
  constructor(kind: TransportFailure, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'TransportError';
    this.kind = kind;
  }
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Path and query below the base URL's path prefix, secrets included. */
  path: string;
  /** JSON text for POST. */
  body?: string;
}

/**
 * Keep-alive connections to one provider's origin (undici Pool, one connection per unit of
 * concurrency). A request's timeout covers connect, headers and the whole body.
 */
export class HttpClient {
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly closing = new AbortController();

  constructor(baseUrl: string, options: { connections: number; timeoutMs: number }) {
    const url = new URL(baseUrl);
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs;
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: options.timeoutMs,
    });
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    if (this.isClosed()) throw new TransportError('closed', 'client closed');
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = AbortSignal.any([timeout, this.closing.signal]);
    try {
      const res = await this.pool.request({
        method: req.method,
        path: this.prefix + req.path,
        headers: req.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        ...(req.body === undefined ? {} : { body: req.body }),
        signal,
      });
      const body = await res.body.text();
      return { status: res.statusCode, headers: res.headers, body };
    } catch (err) {
      if (this.isClosed()) throw new TransportError('closed', 'client closed', err);
      if (timeout.aborted || isTimeout(err)) throw new TransportError('timeout', `no complete answer within ${this.timeoutMs} ms`, err);
      throw new TransportError('network', describe(err), err);
    }
  }

  /** A method, so a check after an await reads the signal anew (a property read stays narrowed). */
  private isClosed(): boolean {
    return this.closing.signal.aborted;
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.pool.close().catch(() => undefined);
  }
}

function isTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${typeof code === 'string' ? `${code} ` : ''}${err.message}${cause}`;
}

/** A header's single value: the first when repeated. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
