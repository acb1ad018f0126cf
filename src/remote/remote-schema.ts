import { z } from 'zod';
import { SECURITY_FIELDS } from '../security/record.js';

export const PROVIDER_TYPES = ['ipgeolocation', 'ipqs', 'iprisk'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/**
 * When a provider is asked: never (configured but idle), miss (addresses the local index does
 * not hold), stale (misses, and addresses whose index answer is stale).
 */
export const ASK_MODES = ['never', 'miss', 'stale'] as const;
export type AskMode = (typeof ASK_MODES)[number];

/** ipgeolocation's documented bulk limit (seed 001: "maximum 50,000"). */
export const IPGEOLOCATION_MAX_BULK = 50_000;

/** Where each provider type answers unless `base_url` says otherwise; iprisk has no public default. */
export const DEFAULT_BASE_URLS: Readonly<Record<ProviderType, string | undefined>> = Object.freeze({
  ipgeolocation: 'https://api.ipgeolocation.io',
  ipqs: 'https://ipqualityscore.com',
  iprisk: undefined,
});

const FIELD_PATHS = new Set(SECURITY_FIELDS.map((f) => `security.${f}`));

/** IPQualityScore request options (seed 003, "Additional Request Parameters"). */
export const ipqsOptionsSchema = z
  .strictObject({
    strictness: z
      .number()
      .int()
      .min(0)
      .max(3)
      .default(0)
      .describe('How many tests IPQS runs; 0 or 1 recommended for the fewest false positives.'),
    fast: z.boolean().default(true).describe('Skips slower forensic checks.'),
    mobile: z.boolean().default(false).describe('Scores every address as a mobile device; IPQS warns this skews non-mobile results.'),
    allow_public_access_points: z
      .boolean()
      .default(true)
      .describe('Bypasses checks for schools, institutions and corporate ranges. IPQS recommends true.'),
    lighter_penalties: z.boolean().default(false).describe('Lowers scores and proxy detection for mixed-quality addresses.'),
  })
  .prefault({});

export const breakerSchema = z
  .strictObject({
    failure_threshold: z.number().int().min(1).max(1000).default(5).describe('Consecutive failed requests that open the circuit.'),
    open_ms: z
      .number()
      .int()
      .min(1)
      .max(3_600_000)
      .default(30_000)
      .describe('How long an open circuit refuses requests before one trial request is let through.'),
  })
  .prefault({});

const urlSchema = z.string().refine(
  (text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '';
    } catch {
      return false;
    }
  },
  { error: (iss) => `expected an http(s) URL without query or fragment, got '${String(iss.input)}'` },
);

export const providerSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: (iss) => `expected 1-64 letters, digits, '_' or '-', got '${String(iss.input)}'` })
      .optional()
      .describe('Metric label and log name; defaults to the type. Unique across providers.'),
    type: z.enum(PROVIDER_TYPES).describe('ipgeolocation (bulk API), ipqs (IPQualityScore) or iprisk (another `iprisk serve`).'),
    base_url: urlSchema
      .optional()
      .describe("Scheme, host, port and an optional path prefix. Default: the provider's public API (none for iprisk, where it is required)."),
    api_key: z.string().min(1).optional().describe('The key itself. Prefer api_key_env or api_key_file: keys in config files leak.'),
    api_key_env: z.string().min(1).optional().describe('Name of the environment variable holding the key.'),
    api_key_file: z.string().min(1).optional().describe("File holding the key (surrounding whitespace ignored), relative to the config file's folder."),
    ask: z
      .enum(ASK_MODES)
      .default('miss')
      .describe('When the provider is asked: never (configured but idle), miss (addresses the index does not hold), stale (misses, and addresses whose index answer is stale).'),
    concurrency: z.number().int().min(1).max(256).default(4).describe('Requests in flight at once to this provider.'),
    timeout_ms: z.number().int().min(1).max(600_000).default(5_000).describe('Whole request, connect to last body byte.'),
    retries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .describe('Further attempts after a failed one (timeouts, resets, 429, 5xx, malformed bodies).'),
    backoff_base_ms: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(100)
      .describe('Full-jitter exponential backoff: attempt n waits random(0, min(backoff_max_ms, backoff_base_ms * 2^n)).'),
    backoff_max_ms: z.number().int().min(0).max(600_000).default(5_000).describe('Upper bound of one backoff wait; at least backoff_base_ms.'),
    retry_after_max_ms: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(30_000)
      .describe('Longest Retry-After (seconds or HTTP date) honoured on a 429; longer ones are cut to this.'),
    max_ips_per_request: z
      .number()
      .int()
      .min(1)
      .max(IPGEOLOCATION_MAX_BULK)
      .default(IPGEOLOCATION_MAX_BULK)
      .describe('Addresses per bulk request (ipgeolocation, iprisk); ipqs asks one address per request.'),
    single_ip_endpoint: z
      .boolean()
      .default(true)
      .describe('A lone address goes to the single-IP endpoint (GET /v3/security) rather than the bulk one.'),
    fields: z
      .array(
        z.string().refine((f) => FIELD_PATHS.has(f), {
          error: (iss) => `'${String(iss.input)}' is not a security field path (security.threat_score, security.is_vpn, ...)`,
        }),
      )
      .default([])
      .describe('ipgeolocation `fields`: dot paths such as security.is_vpn; empty asks for everything. Missing fields take their defaults. Not for ipqs.'),
    budget_ips_per_minute: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Addresses asked per minute at most (lookups cost credits); 0 unlimited. Over budget: left unanswered, no request.'),
    breaker: breakerSchema.describe('Circuit breaker: stops asking a failing provider for a while.'),
    ipqs: ipqsOptionsSchema.describe('IPQualityScore request options (type ipqs only).'),
  })
  .superRefine((p, ctx) => {
    const keys = (['api_key', 'api_key_env', 'api_key_file'] as const).filter((k) => p[k] !== undefined);
    if (keys.length > 1) ctx.addIssue({ code: 'custom', message: `give the key one way, not ${keys.join(' and ')}`, path: [keys[1]!] });
    if (keys.length === 0 && p.type !== 'iprisk') {
      ctx.addIssue({ code: 'custom', message: `a ${p.type} provider needs api_key, api_key_env or api_key_file`, path: ['api_key'] });
    }
    if (p.base_url === undefined && DEFAULT_BASE_URLS[p.type] === undefined) {
      ctx.addIssue({ code: 'custom', message: `a ${p.type} provider needs base_url (another iprisk serve)`, path: ['base_url'] });
    }
    if (p.backoff_max_ms < p.backoff_base_ms) {
      ctx.addIssue({ code: 'custom', message: `backoff_max_ms (${p.backoff_max_ms}) is below backoff_base_ms (${p.backoff_base_ms})`, path: ['backoff_max_ms'] });
    }
    if (p.type === 'ipqs' && p.fields.length > 0) {
      ctx.addIssue({ code: 'custom', message: 'fields applies to ipgeolocation and iprisk providers only', path: ['fields'] });
    }
  });

export const cacheSchema = z
  .strictObject({
    ttl_secs: z
      .number()
      .int()
      .min(0)
      .default(12 * 3600)
      .describe('Answers with a signal or a score are reused this long.'),
    clean_ttl_secs: z
      .number()
      .int()
      .min(0)
      .default(3600)
      .describe('Clean answers (no flag, score 0) and "nothing known" are reused this long: they are cheap to be wrong about, and go stale first.'),
    max_entries: z.number().int().min(1).default(100_000).describe('Most answers held; the least recently used go first.'),
    max_bytes: z
      .number()
      .int()
      .min(1024)
      .default(64 * 1024 * 1024)
      .describe('Approximate memory bound: each entry counts its JSON size plus a fixed overhead; the least recently used go first.'),
    stale_serve_secs: z
      .number()
      .int()
      .min(0)
      .default(24 * 3600)
      .describe('Expired answers are kept this much longer and served marked stale while the providers fail.'),
  })
  .prefault({});

export const ON_REMOTE_FAILURE = ['pass', 'block'] as const;
export type OnRemoteFailure = (typeof ON_REMOTE_FAILURE)[number];

export const remoteSchema = z
  .strictObject({
    providers: z
      .array(providerSchema)
      .default([])
      .describe('Tried in order; each is asked only for what the ones before it left unanswered. Empty: no remote fallback.'),
    cache: cacheSchema.describe('Cache of remote answers, shared by every provider.'),
    on_remote_failure: z
      .enum(ON_REMOTE_FAILURE)
      .default('pass')
      .describe(
        'pass: an address the providers fail to answer is emitted with no remote answer (source none). block: the lookup waits for a provider to recover, up to block_max_wait_ms, then fails with REMOTE_UNAVAILABLE so the batch is retried.',
      ),
    block_max_wait_ms: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(60_000)
      .describe('With block: how long one lookup waits for a provider to recover before it fails.'),
    block_retry_ms: z
      .number()
      .int()
      .min(1)
      .max(600_000)
      .default(1_000)
      .describe('While blocked, the pause before failed addresses are asked again; an open circuit is waited out until its trial instead.'),
  })
  .superRefine((r, ctx) => {
    const seen = new Map<string, number>();
    r.providers.forEach((p, i) => {
      const name = p.name ?? p.type;
      const first = seen.get(name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', message: `provider name '${name}' is already used by providers.${first}: give each a unique name`, path: ['providers', i, 'name'] });
      } else {
        seen.set(name, i);
      }
    });
  })
  .prefault({});

export type RemoteConfig = z.infer<typeof remoteSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type CacheConfig = z.infer<typeof cacheSchema>;
export type IpqsOptions = z.infer<typeof ipqsOptionsSchema>;
export type BreakerConfig = z.infer<typeof breakerSchema>;
