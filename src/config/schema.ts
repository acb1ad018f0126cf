import { z } from 'zod';
import { sourcesSchema } from './sources.js';
import { DEFAULT_SCORE_WEIGHTS } from '../security/score.js';
import { alertsSchema } from '../alerts/rules-schema.js';
import { remoteSchema } from '../remote/remote-schema.js';
import { httpSchema, inputsSchema, kafkaSchema, outputsSchema, pipelineSchema, schemaRegistrySchema } from '../kafka/kafka-schema.js';
import { serveSchema } from '../http/serve-schema.js';
import { updateSchema } from '../update/update-schema.js';

const score = z.number().min(0).max(100);

/** Weights of the threat score model (SPEC section 2); each defaults to the documented value. */
export const scoreSchema = z
  .strictObject({
    tor: score.default(DEFAULT_SCORE_WEIGHTS.tor),
    vpn: score.default(DEFAULT_SCORE_WEIGHTS.vpn),
    proxy: score.default(DEFAULT_SCORE_WEIGHTS.proxy),
    residential_proxy: score.default(DEFAULT_SCORE_WEIGHTS.residential_proxy),
    relay: score.default(DEFAULT_SCORE_WEIGHTS.relay),
    known_attacker: score.default(DEFAULT_SCORE_WEIGHTS.known_attacker),
    bot: score.default(DEFAULT_SCORE_WEIGHTS.bot),
    spam: score.default(DEFAULT_SCORE_WEIGHTS.spam),
    cloud_provider: score.default(DEFAULT_SCORE_WEIGHTS.cloud_provider),
    confidence_full_at: z.number().int().min(1).max(100).default(DEFAULT_SCORE_WEIGHTS.confidence_full_at),
  })
  .prefault({});

export const indexSchema = z
  .strictObject({
    /** Snapshot file, relative to the config file's folder. Absent: the bundled sample index. */
    path: z.string().min(1).optional(),
    /** Answers from an index older than this are marked `stale`; 0 never. */
    max_age_secs: z.number().int().min(0).default(7 * 24 * 3600),
    /** Swap to a new snapshot when the file changes, without a restart. */
    watch: z.boolean().default(true),
    reload_debounce_ms: z.number().int().min(0).max(60_000).default(500),
  })
  .prefault({});

export const DEFAULT_IP_FIELDS = ['source.ip', 'client.ip', 'client_ip', 'remote_addr', 'ip'] as const;

/** How the client IP is found in an event (SPEC section 3). */
export const ipExtractionSchema = z.strictObject({
  /** Field paths tried in order; the first present wins. Dot paths reach nested objects. */
  ip_fields: z.array(z.string().min(1)).min(1).default([...DEFAULT_IP_FIELDS]),
  /** An X-Forwarded-For style field: the right-most address not inside trusted_proxies is the client. */
  xff_field: z.string().min(1).default('x_forwarded_for'),
  /** CIDRs of proxies whose word about the client is trusted. Empty: X-Forwarded-For is ignored. */
  trusted_proxies: z.array(z.string().min(1)).default([]),
});

export const enrichSchema = ipExtractionSchema
  .extend({
    /** Events enriched together: unique IPs of a batch are looked up once. */
    batch_size: z.number().int().min(1).max(1_000_000).default(4096),
  })
  .prefault({});

export const configSchema = z.strictObject({
  sources: sourcesSchema.default([]),
  score: scoreSchema,
  index: indexSchema,
  enrich: enrichSchema,
  alerts: alertsSchema,
  remote: remoteSchema,
  kafka: kafkaSchema,
  schema_registry: schemaRegistrySchema.optional(),
  inputs: inputsSchema,
  outputs: outputsSchema,
  http: httpSchema,
  pipeline: pipelineSchema,
  serve: serveSchema,
  update: updateSchema,
});

export type IpriskConfig = z.infer<typeof configSchema>;
export type IpExtractionConfig = z.infer<typeof ipExtractionSchema>;
