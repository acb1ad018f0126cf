import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { sampleIndex } from '../../../src/cli/open-index.js';
import type { IndexSource } from '../../../src/enrich/enricher.js';
import type { LookupProvider } from '../../../src/enrich/lookup-provider.js';
import { ApiKeyStore } from '../../../src/http/api-keys.js';
import type { ServeConfigInput } from '../../../src/http/serve-schema.js';
import { serveSchema } from '../../../src/http/serve-schema.js';
import { SecurityApiServer } from '../../../src/http/server.js';
import type { Metrics } from '../../../src/telemetry/metrics.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';

/** The key the seed's curl examples call API_KEY. */
export const API_KEY = 'API_KEY';

export interface Running {
  server: SecurityApiServer;
  base: string;
  port: number;
  metrics: Metrics;
  close(): Promise<void>;
}

export interface StartOptions {
  config?: ServeConfigInput;
  keys?: readonly string[];
  /** A key store of the test's own (one it reloads); `keys` is ignored then. */
  keyStore?: ApiKeyStore;
  index?: IndexSource;
  fallback?: LookupProvider;
  apiRoutes?: boolean;
}

/** A real server on 127.0.0.1 and a free port, over the bundled sample index unless told otherwise. */
export async function startServe(options: StartOptions = {}): Promise<Running> {
  const metrics = createMetrics({ defaultMetrics: false });
  const server = new SecurityApiServer({
    config: serveSchema.parse(options.config ?? {}),
    index: options.index ?? { current: await sampleIndex() },
    keys: options.keyStore ?? new ApiKeyStore(options.keys ?? [API_KEY]),
    metrics,
    ...(options.fallback === undefined ? {} : { fallback: options.fallback }),
    ...(options.apiRoutes === undefined ? {} : { apiRoutes: options.apiRoutes }),
  });
  const { url, port } = await server.listen(0, '127.0.0.1');
  return { server, base: url, port, metrics, close: () => server.close(1000) };
}

/**
 * A server started before the calling suite's tests and closed after them. The handle reads
 * through to the running server, so a describe block can take it before the server starts.
 */
export function serveForSuite(options: StartOptions = {}): Running {
  let running: Running | undefined;
  beforeAll(async () => {
    running = await startServe(options);
  });
  afterAll(async () => {
    await running?.close();
    running = undefined;
  });
  const current = (): Running => {
    if (running === undefined) throw new Error('the suite server runs only while its tests do');
    return running;
  };
  return {
    get server() {
      return current().server;
    },
    get base() {
      return current().base;
    },
    get port() {
      return current().port;
    },
    get metrics() {
      return current().metrics;
    },
    close: () => current().close(),
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One request through node:http, byte for byte as given: fetch would normalise the target
 * (percent-encoding, dot segments) and refuse some methods and bodies the tests need.
 */
export function raw(
  port: number,
  method: string,
  target: string,
  options: { headers?: Record<string, string | number>; body?: string | Buffer | (string | Buffer)[] } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = options.body;
    const headers: Record<string, string | number> = { ...options.headers };
    // A single body is announced with Content-Length, as curl does; a list of parts goes chunked.
    if (body !== undefined && !Array.isArray(body) && headers['Transfer-Encoding'] === undefined) headers['Content-Length'] = Buffer.byteLength(body);
    const req = request({ host: '127.0.0.1', port, method, path: target, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (Array.isArray(body)) for (const part of body) req.write(part);
    else if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The `message` of an error answer. */
export function messageOf(body: string): string {
  const parsed = JSON.parse(body) as unknown;
  if (parsed === null || typeof parsed !== 'object' || typeof (parsed as { message?: unknown }).message !== 'string') {
    throw new Error(`not a {"message": ...} body: ${body.slice(0, 200)}`);
  }
  return (parsed as { message: string }).message;
}

/** JSON text with keys in the order the value has them: compares field order, not just content. */
export function canonical(text: string): string {
  return JSON.stringify(JSON.parse(text));
}
