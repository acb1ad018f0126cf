import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, canonical, serveForSuite } from './harness.js';
import { SEED_34, SEED_34_FIELDS, SEED_35, SEED_BULK_BOGON, SEED_BULK_EXCLUDES } from '../../helpers/seed-answers.js';

/** The parts of ipgeolocation's official JavaScript SDK 2.0.1 this test uses (CommonJS, callbacks). */
interface SdkResponse {
  status: number;
  text: string;
  headers: Record<string, string | undefined>;
}
type SdkCallback = (error: (Error & { status?: number; response?: SdkResponse }) | null, data: unknown, response: SdkResponse | undefined) => void;
interface SdkClient {
  authentications: { ApiKeyAuth: { apiKey?: string } };
}
interface SecurityApi {
  getIpSecurityInfo(opts: { ip?: string; fields?: string; excludes?: string; output?: string }, cb: SdkCallback): void;
  getBulkIpSecurityInfo(body: unknown, opts: { fields?: string; excludes?: string; output?: string }, cb: SdkCallback): void;
}
interface Sdk {
  APIClient: new (basePath?: string) => SdkClient;
  IPSecurityAPI: new (client: SdkClient) => SecurityApi;
  BulkIPRequest: { constructFromObject(data: { ips: string[] }): unknown };
}

const sdk = createRequire(import.meta.url)('ip-geolocation-api-javascript-sdk') as Sdk;

interface Outcome {
  error: (Error & { status?: number; response?: SdkResponse }) | null;
  response: SdkResponse | undefined;
}

function call(run: (cb: SdkCallback) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    run((error, _data, response) => {
      resolve({ error, response });
    });
  });
}

// A client written against api.ipgeolocation.io, pointed at iprisk serve and otherwise unchanged.
// Its models predate the v3 security fields, so the raw body is compared with the seed.
describe("ipgeolocation's official JavaScript SDK against iprisk serve", () => {
  const api = serveForSuite();
  let security: SecurityApi;
  beforeAll(() => {
    const client = new sdk.APIClient(`${api.base}/v3`);
    client.authentications.ApiKeyAuth.apiKey = API_KEY;
    security = new sdk.IPSecurityAPI(client);
  });

  it('looks up one IP', async () => {
    const { error, response } = await call((cb) => {
      security.getIpSecurityInfo({ ip: '2.56.188.34' }, cb);
    });
    expect(error).toBeNull();
    expect(response?.status).toBe(200);
    expect(canonical(response!.text)).toBe(JSON.stringify(SEED_34));
  });

  it('passes fields through', async () => {
    const { response } = await call((cb) => {
      security.getIpSecurityInfo({ ip: '2.56.188.34', fields: 'security.threat_score' }, cb);
    });
    expect(canonical(response!.text)).toBe(JSON.stringify(SEED_34_FIELDS));
  });

  it('sends a bulk request and reads the credits header', async () => {
    const { error, response } = await call((cb) => {
      security.getBulkIpSecurityInfo({ ips: ['2.56.188.34', '2.56.188.35'] }, {}, cb);
    });
    expect(error).toBeNull();
    expect(response?.headers['x-credits-charged']).toBe('4');
    expect(canonical(response!.text)).toBe(JSON.stringify([SEED_34, SEED_35]));
  });

  // 2.0.1's BulkIPRequest constructor ignores its argument (the README's `new BulkIPRequest({ips})`
  // sends {}); constructFromObject is how the SDK itself fills a model.
  it("sends a bulk request built with the SDK's own BulkIPRequest model, with excludes", async () => {
    const { response } = await call((cb) => {
      security.getBulkIpSecurityInfo(sdk.BulkIPRequest.constructFromObject({ ips: ['2.56.188.34', '2.56.188.35'] }), { excludes: 'security.threat_score,security.proxy_last_seen,security.vpn_last_seen' }, cb);
    });
    expect(canonical(response!.text)).toBe(JSON.stringify(SEED_BULK_EXCLUDES));
  });

  it('gets the bogon entry in place and X-Successful-Record', async () => {
    const { response } = await call((cb) => {
      security.getBulkIpSecurityInfo({ ips: ['10.0.0.0', '2.56.188.35'] }, {}, cb);
    });
    expect(response?.headers['x-successful-record']).toBe('1');
    expect(canonical(response!.text)).toBe(JSON.stringify(SEED_BULK_BOGON));
  });

  it('reports a 423 for a private IP and a 401 for a wrong key as errors with the message body', async () => {
    const locked = await call((cb) => {
      security.getIpSecurityInfo({ ip: '192.168.0.1' }, cb);
    });
    expect(locked.error?.status).toBe(423);
    expect(JSON.parse(locked.response!.text)).toEqual({ message: "'192.168.0.1' is a bogon IP address." });

    const client = new sdk.APIClient(`${api.base}/v3`);
    client.authentications.ApiKeyAuth.apiKey = 'not-the-key';
    const denied = await call((cb) => {
      new sdk.IPSecurityAPI(client).getIpSecurityInfo({ ip: '2.56.188.34' }, cb);
    });
    expect(denied.error?.status).toBe(401);
    expect(JSON.parse(denied.response!.text)).toEqual({ message: 'The provided API key is not valid.' });
  });
});
