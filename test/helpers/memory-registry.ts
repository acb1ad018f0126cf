import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A schema registry in this process: a real HTTP server answering the two calls iprisk makes
 * (GET /schemas/ids/{id}, POST /subjects/{subject}/versions) from an in-memory store, so the
 * real Registry client runs against it. For unit-level tests that need thousands of schema
 * lookups per second; the integration tests use the real Apicurio registry.
 */
export interface MemoryRegistry {
  url: string;
  /** Stores a schema under a fixed id (as another producer would have registered it). */
  put(id: number, schema: unknown): void;
  /** Schema text by id, as registered. */
  schema(id: number): unknown;
  /** Requests served, per path kind. */
  readonly requests: { get: number; post: number };
  close(): Promise<void>;
}

export async function startMemoryRegistry(): Promise<MemoryRegistry> {
  const byId = new Map<number, string>();
  const byText = new Map<string, number>();
  let nextId = 1000;
  const requests = { get: 0, post: 0 };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end(JSON.stringify(body));
      };
      const url = req.url ?? '';
      const get = /^\/schemas\/ids\/(\d+)$/.exec(url);
      if (req.method === 'GET' && get) {
        requests.get++;
        const text = byId.get(Number(get[1]));
        if (text === undefined) send(404, { error_code: 40403, message: 'Schema not found' });
        else send(200, { schema: text });
        return;
      }
      if (req.method === 'POST' && /^\/subjects\/[^/]+\/versions$/.test(url)) {
        requests.post++;
        const { schema } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { schema: string };
        let id = byText.get(schema);
        if (id === undefined) {
          id = nextId++;
          byText.set(schema, id);
          byId.set(id, schema);
        }
        send(200, { id });
        return;
      }
      send(404, { error_code: 404, message: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    put(id, schema) {
      const text = JSON.stringify(schema);
      byId.set(id, text);
      byText.set(text, id);
    },
    schema(id) {
      const text = byId.get(id);
      return text === undefined ? undefined : (JSON.parse(text) as unknown);
    },
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => {
          if (err) reject(err);
          else resolve();
        });
      }),
  };
}
