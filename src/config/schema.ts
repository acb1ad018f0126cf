import { z } from 'zod';
import { allowlistSchema } from './allowlist.js';
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
    tor: score.default(DEFAULT_SCORE_WEIGHTS.tor).describe('Anonymity weight of a Tor exit.'),
    vpn: score.default(DEFAULT_SCORE_WEIGHTS.vpn).describe('Anonymity weight of a VPN exit, scaled by its confidence.'),
    proxy: score.default(DEFAULT_SCORE_WEIGHTS.proxy).describe('Anonymity weight of a proxy, scaled by its confidence.'),
    residential_proxy: score.default(DEFAULT_SCORE_WEIGHTS.residential_proxy).describe('Anonymity weight of a residential proxy (instead of proxy), scaled by its confidence.'),
    relay: score.default(DEFAULT_SCORE_WEIGHTS.relay).describe('Anonymity weight of a privacy relay such as iCloud Private Relay.'),
    known_attacker: score.default(DEFAULT_SCORE_WEIGHTS.known_attacker).describe('Added for a known attacker.'),
    bot: score.default(DEFAULT_SCORE_WEIGHTS.bot).describe('Added for a bot.'),
    spam: score.default(DEFAULT_SCORE_WEIGHTS.spam).describe('Added for a spam source.'),
    cloud_provider: score.default(DEFAULT_SCORE_WEIGHTS.cloud_provider).describe('Added for a cloud or hosting address.'),
    confidence_full_at: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(DEFAULT_SCORE_WEIGHTS.confidence_full_at)
      .describe('Confidence at and above which a VPN or proxy signal counts in full; below, its weight is scaled by confidence / this. A signal without a confidence counts in full.'),
  })
  .prefault({});

export const indexSchema = z
  .strictObject({
    path: z.string().min(1).optional().describe("Snapshot file, relative to the config file's folder. Absent: the bundled sample index."),
    max_age_secs: z
      .number()
      .int()
      .min(0)
      .default(7 * 24 * 3600)
      .describe('Answers from an index built longer ago than this are marked `stale` (enrichment.stale); 0 never.'),
    watch: z.boolean().default(true).describe('Swap to a new snapshot when the file changes, without a restart (run and serve).'),
    reload_debounce_ms: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(500)
      .describe('Quiet time after the last change to the snapshot file before it is reloaded, so a file still being written is not read.'),
    history: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Snapshot history folder, relative to the config file's folder: `index update` files every snapshot it rebuilds there, valid from its build time (content already in force is not filed again), for `enrich --history` and `replay --history`. Absent: no history is kept.",
      ),
    history_retention_days: z
      .number()
      .int()
      .min(0)
      .default(400)
      .describe('History snapshots whose validity ended more than this many days ago are pruned after each filing; the newest is always kept. 0 keeps every age.'),
    history_max_snapshots: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('At most this many history snapshots are kept (the newest); 0 no limit.'),
  })
  .prefault({});

export const DEFAULT_IP_FIELDS = ['source.ip', 'client.ip', 'client_ip', 'remote_addr', 'ip'] as const;

/** How the client IP is found in an event (SPEC section 3). */
export const ipExtractionSchema = z.strictObject({
  ip_fields: z
    .array(z.string().min(1))
    .min(1)
    .default([...DEFAULT_IP_FIELDS])
    .describe('Field paths of the client address, tried in order; the first present wins. Dot paths reach nested objects.'),
  xff_field: z
    .string()
    .min(1)
    .default('x_forwarded_for')
    .describe('An X-Forwarded-For style field. When the address field holds a trusted proxy, the right-most hop not inside trusted_proxies is the client; with no trusted_proxies, it is read only when no address field is present (its right-most hop).'),
  trusted_proxies: z
    .array(z.string().min(1))
    .default([])
    .describe('CIDRs of proxies whose word about the client is trusted (as nginx real_ip_recursive). Empty: xff_field is a fallback only, since it can be spoofed.'),
});

export const enrichSchema = ipExtractionSchema
  .extend({
    batch_size: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(4096)
      .describe('Events enriched together by `iprisk enrich` (lines) and `iprisk replay` (records); the unique addresses of a batch are looked up once. `iprisk run` takes its batches as Kafka fetches them.'),
  })
  .prefault({});

export const configSchema = z.strictObject({
  sources: sourcesSchema.default([]).describe('Feeds the index is built from (`index build`, `index update`).'),
  allowlist: allowlistSchema
    .default([])
    .describe('Known-good networks of the operator (own egress, partners), applied at lookup time by run, serve, enrich, replay and lookup: no is_bot, is_spam or is_known_attacker inside them, the score recomputed without them. No index rebuild needed.'),
  score: scoreSchema.describe('Weights of the threat score model, for sources that carry flags but no score.'),
  index: indexSchema.describe('The range index snapshot that answers lookups.'),
  enrich: enrichSchema.describe('How the client address is found in an event.'),
  alerts: alertsSchema.describe('Alert rules and their suppression.'),
  remote: remoteSchema.describe('Remote providers asked about addresses the index does not hold, and their answer cache.'),
  kafka: kafkaSchema.describe('The Kafka cluster and the consumer group of `iprisk run` and `iprisk replay`.'),
  schema_registry: schemaRegistrySchema.optional().describe('Confluent-compatible schema registry, needed for Avro input or output (the default output format).'),
  inputs: inputsSchema.describe('Input topics of `iprisk run`.'),
  outputs: outputsSchema.describe('Output topics of `iprisk run`: enriched records, alerts and dead letters.'),
  http: httpSchema.describe('The metrics and health endpoint of `iprisk run`.'),
  pipeline: pipelineSchema.describe('Record and request limits and the shutdown deadline of `iprisk run`.'),
  serve: serveSchema.describe('The ipgeolocation-compatible HTTP API of `iprisk serve`.'),
  update: updateSchema.describe('How `iprisk index update` downloads feeds.'),
});

export type IpriskConfig = z.infer<typeof configSchema>;
export type IpExtractionConfig = z.infer<typeof ipExtractionSchema>;
