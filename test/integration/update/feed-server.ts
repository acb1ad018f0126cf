import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface SeenRequest {
  path: string;
  /** Path and query as sent. */
  url: string;
  headers: IncomingHttpHeaders;
}

/** A scripted answer that replaces the file for the next requests of a path. */
export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  | { kind: 'body'; body: Buffer | string; contentType: string }
  /** Answers headers, then streams zero bytes without end (no Content-Length) until the client goes. */
  | { kind: 'endless' }
  /** Accepts the request and never answers. */
  | { kind: 'stall' };

interface Feed {
  body: Buffer;
  etag: string;
  lastModified: string;
  contentType: string;
  /** Faults to play before the file is served again; `times: Infinity` for every request. */
  faults: { fault: Fault; times: number }[];
}

/** Stop an endless body after this much, so a broken client cannot keep the test running. */
const ENDLESS_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * A real HTTP server on 127.0.0.1 (ephemeral port) serving feed files the way their publishers
 * do: ETag and Last-Modified on every answer, 304 to a matching If-None-Match or (without
 * one) to an If-Modified-Since not older than the file. Every request is recorded.
 */
export class FeedServer {
  readonly requests: SeenRequest[] = [];
  /** Paths whose endless body the client closed before the server's safety limit. */
  readonly abortedByClient: string[] = [];
  private readonly feeds = new Map<string, Feed>();
  private readonly server: Server;
  private readonly stalled = new Set<ServerResponse>();
  private version = 0;

  private constructor() {
    this.server = createServer((req, res) => {
      this.handle(req, res);
    });
  }

  static async start(): Promise<FeedServer> {
    const server = new FeedServer();
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.server.listen(0, '127.0.0.1', () => {
        resolve();
      });
    });
    return server;
  }

  url(urlPath: string): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}${urlPath}`;
  }

  /** Serves `file`'s bytes at `urlPath` (a new version: new ETag and Last-Modified). */
  serveFile(urlPath: string, file: string, contentType = 'application/octet-stream'): void {
    this.serveBytes(urlPath, readFileSync(file), contentType);
  }

  serveBytes(urlPath: string, body: Buffer, contentType = 'application/octet-stream'): void {
    this.version++;
    this.feeds.set(urlPath, {
      body,
      etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`,
      // Whole seconds, as HTTP dates have; each version one minute after the last.
      lastModified: new Date(Date.UTC(2025, 0, 1) + this.version * 60_000).toUTCString(),
      contentType,
      faults: [],
    });
  }

  /** Plays `fault` for the next `times` requests of `urlPath`, then serves the file again. */
  fault(urlPath: string, fault: Fault, times = Infinity): void {
    const feed = this.feeds.get(urlPath);
    if (!feed) throw new Error(`no feed served at ${urlPath}`);
    feed.faults.push({ fault, times });
  }

  requestsFor(urlPath: string): SeenRequest[] {
    return this.requests.filter((r) => r.path === urlPath);
  }

  async close(): Promise<void> {
    for (const res of this.stalled) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => { resolve(); }));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const urlPath = new URL(req.url ?? '/', 'http://x').pathname;
    this.requests.push({ path: urlPath, url: req.url ?? '/', headers: req.headers });
    const feed = this.feeds.get(urlPath);
    if (!feed) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const next = feed.faults[0];
    if (next) {
      next.times--;
      if (next.times <= 0) feed.faults.shift();
      this.play(urlPath, next.fault, res);
      return;
    }
    const headers = { etag: feed.etag, 'last-modified': feed.lastModified };
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    const fresh = inm !== undefined ? inm === feed.etag : ims !== undefined && Date.parse(ims) >= Date.parse(feed.lastModified);
    if (fresh) {
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': feed.contentType, 'content-length': feed.body.length }).end(feed.body);
  }

  private play(urlPath: string, fault: Fault, res: ServerResponse): void {
    switch (fault.kind) {
      case 'status':
        res.writeHead(fault.status, { 'content-type': 'text/plain', ...fault.headers }).end(`status ${fault.status}`);
        return;
      case 'body':
        res.writeHead(200, { 'content-type': fault.contentType }).end(fault.body);
        return;
      case 'stall':
        this.stalled.add(res);
        res.on('close', () => this.stalled.delete(res));
        return;
      case 'endless': {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024);
        let sent = 0;
        let finished = false;
        res.on('close', () => {
          if (!finished) this.abortedByClient.push(urlPath);
        });
        const pump = (): void => {
          while (sent < ENDLESS_LIMIT_BYTES) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          finished = true;
          res.end();
        };
        pump();
        return;
      }
    }
  }
}
