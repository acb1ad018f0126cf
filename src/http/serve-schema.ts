import { z } from 'zod';
import { parseNetworks } from '../ip/network.js';

/** Characters ipgeolocation answers 400 for anywhere in the URL (seed 001's error table): a
 * key holding one could never be sent, so config rejects it up front. */
export const FORBIDDEN_URL_CHARACTERS = /[()[\]{}|^`]/;

const apiKey = z
  .string()
  .min(1)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces only')
  .refine((key) => !FORBIDDEN_URL_CHARACTERS.test(key), 'must not contain ( ) [ ] { } | ^ ` (the API answers 400 for them in a URL)');

/** A comma-separated string (from IPRISK_SERVE__API_KEYS=a,b) is read as a list. */
const apiKeyList = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((k) => k.trim())
          .filter((k) => k.length > 0)
      : value,
  z.array(apiKey),
);

export const MIB = 1024 * 1024;

function isNetwork(text: string): boolean {
  try {
    parseNetworks(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The `serve` config section: the ipgeolocation-compatible HTTP API (SPEC section 7).
 * API keys are secrets: prefer `api_keys_file` or the IPRISK_API_KEYS environment variable
 * (comma-separated) to listing them here. Keys are never logged; logs name them by key id.
 */
export const serveSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1').describe('Interface to listen on. The default keeps the API on this machine; 0.0.0.0 opens it to the network.'),
    port: z.number().int().min(0).max(65_535).default(8080).describe('Port to listen on; 0 picks a free one.'),
    api_keys: apiKeyList
      .default([])
      .describe('Accepted `apiKey` values; a comma-separated string is read as a list. Also: serve.api_keys_file, $IPRISK_API_KEYS, --api-key.'),
    api_keys_file: z
      .string()
      .min(1)
      .optional()
      .describe("File of API keys, one per line; blank lines and `#` comments ignored. Relative to the config file's folder."),
    allow_anonymous: z
      .boolean()
      .default(false)
      .describe('With no key configured, the server refuses to start unless this is true (then no key is asked).'),
    rate_limit_per_minute: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Requests per minute per API key (per client address when anonymous), answered 429 beyond; 0 unlimited.'),
    max_in_flight_requests_per_key: z
      .number()
      .int()
      .min(0)
      .default(64)
      .describe('Requests of one API key (one client address when anonymous) being answered at once, answered 429 with Retry-After beyond; 0 unlimited.'),
    max_in_flight_bulk_ips_per_key: z
      .number()
      .int()
      .min(0)
      .default(400_000)
      .describe('Bulk addresses of one API key being answered at once (the default is 8 full bulks), answered 429 with Retry-After beyond; 0 unlimited.'),
    trusted_proxies: z
      .array(z.string().min(1).refine(isNetwork, 'not a CIDR, address or range'))
      .default([])
      .describe('CIDRs of reverse proxies in front of the API. A request from one of them is answered for the right-most X-Forwarded-For address outside them when it has no `ip` parameter.'),
    max_body_bytes: z
      .number()
      .int()
      .min(1024)
      .max(256 * MIB)
      .default(3 * MIB)
      .describe('Largest bulk request body, answered 413 beyond. The default fits 50,000 IPv6 addresses, pretty-printed.'),
    max_bulk_ips: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(50_000)
      .describe("Most `ips` in one bulk request, answered 400 beyond (ipgeolocation's limit is 50,000)."),
    bulk_chunk_size: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(500)
      .describe('Bulk addresses looked up or rendered per turn; bulks take turns, one per event-loop iteration, so single lookups never wait behind a whole bulk.'),
    request_timeout_ms: z.number().int().min(1000).max(600_000).default(30_000).describe('Time to receive a whole request (headers and body).'),
    keep_alive_timeout_ms: z.number().int().min(100).max(600_000).default(5000).describe('Idle keep-alive connections are closed after this.'),
    shutdown_timeout_ms: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(10_000)
      .describe('On SIGTERM or SIGINT, requests in flight get this long to finish before connections are cut.'),
  })
  .prefault({});

export type ServeConfig = z.output<typeof serveSchema>;
export type ServeConfigInput = z.input<typeof serveSchema>;
