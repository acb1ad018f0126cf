import { z } from 'zod';

/** A secret given inline, by environment variable or by file; resolved at start, never logged. */
export const secretSchema = z.union([
  z.string().min(1),
  z.strictObject({ env: z.string().min(1) }),
  z.strictObject({ file: z.string().min(1) }),
]);
export type SecretConfig = z.infer<typeof secretSchema>;

const tlsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** PEM files; relative to the config file's folder. */
    ca_file: z.string().min(1).optional(),
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    key_password: secretSchema.optional(),
    reject_unauthorized: z.boolean().default(true),
    servername: z.string().min(1).optional(),
  });

const saslSchema = z.strictObject({
  mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
  username: z.string().min(1),
  password: secretSchema,
});

/** The Kafka cluster and the consumer group (SPEC section 9). */
export const kafkaSchema = z
  .strictObject({
    brokers: z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port')).min(1).default(['127.0.0.1:9092']),
    client_id: z.string().min(1).default('iprisk'),
    group_id: z.string().min(1).default('iprisk'),
    tls: tlsSchema.optional(),
    sasl: saslSchema.optional(),
    /** Where a group with no committed offsets starts: latest, as Vector and Logstash do. */
    start_from: z.enum(['latest', 'earliest']).default('latest'),
    /** Transactions: outputs and input offsets commit atomically; consumers read_committed. */
    exactly_once: z.boolean().default(false),
    /** Set it, stable per instance, when exactly_once: a restarted instance with the same id
     * fences its predecessor's open transaction at once. The default `<group_id>-<hostname>-<pid>`
     * changes per process, so readers wait for the old transaction to time out instead. */
    transactional_id: z.string().min(1).optional(),
    /** How long an abandoned transaction holds back read_committed readers. */
    transaction_timeout_ms: z.number().int().min(1000).max(900_000).default(15_000),
    session_timeout_ms: z.number().int().min(6000).max(300_000).default(30_000),
    heartbeat_interval_ms: z.number().int().min(500).max(60_000).default(3000),
    connection_timeout_ms: z.number().int().min(100).max(120_000).default(3000),
    request_timeout_ms: z.number().int().min(1000).max(300_000).default(30_000),
    /** Bytes fetched per partition and per fetch: together they bound memory under a burst. */
    max_bytes_per_partition: z.number().int().min(1024).default(1_048_576),
    max_bytes: z.number().int().min(1024).default(10_485_760),
    /** Partitions processed at once; each holds at most one batch in flight. */
    partitions_concurrently: z.number().int().min(1).max(64).default(2),
  })
  .prefault({});

export const schemaRegistrySchema = z.strictObject({
  /** Confluent-compatible base URL (Apicurio: .../apis/ccompat/v7). */
  url: z.url(),
  username: z.string().min(1).optional(),
  password: secretSchema.optional(),
});

const inputSchema = z.strictObject({
  topic: z.string().min(1),
  kind: z.enum(['access', 'auth']),
  /** auto tells Confluent-framed Avro (magic byte 0) from JSON per record. */
  format: z.enum(['json', 'avro', 'auto']).default('auto'),
  /** Overrides enrich.ip_fields / xff_field / trusted_proxies for this topic. */
  ip_fields: z.array(z.string().min(1)).min(1).optional(),
  xff_field: z.string().min(1).optional(),
  trusted_proxies: z.array(z.string().min(1)).optional(),
});
export type InputConfig = z.infer<typeof inputSchema>;

export const inputsSchema = z
  .array(inputSchema)
  .default([])
  .superRefine(
    (inputs, ctx) => {
      const seen = new Set<string>();
      inputs.forEach((input, i) => {
        // Runs even when an input is invalid (see `when`), so elements may be anything here.
        const topic: unknown = (input as { topic?: unknown } | null)?.topic;
        if (typeof topic !== 'string') return;
        if (seen.has(topic)) ctx.addIssue({ code: 'custom', message: `topic '${topic}' is listed twice`, path: [i, 'topic'] });
        seen.add(topic);
      });
    },
    // zod skips refinements once an element has failed; a duplicate topic is still worth
    // reporting with the rest, so one run lists every problem.
    { when: (payload) => Array.isArray(payload.value) },
  );

export const outputsSchema = z
  .strictObject({
    enriched: z
      .strictObject({
        /** One topic for every input; absent with per_input: `<input topic><suffix>`. */
        topic: z.string().min(1).optional(),
        per_input_suffix: z.string().min(1).default('-enriched'),
        format: z.enum(['avro', 'json']).default('avro'),
      })
      .prefault({}),
    alerts: z
      .strictObject({
        topic: z.string().min(1).default('security-alerts'),
        format: z.enum(['avro', 'json']).default('avro'),
      })
      .prefault({}),
    dlq: z.strictObject({ topic: z.string().min(1).default('iprisk-dlq') }).prefault({}),
  })
  .prefault({});

export const httpSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    /** /metrics, /healthz and /readyz of `iprisk run`; 0 picks a free port. */
    port: z.number().int().min(0).max(65535).default(9464),
  })
  .prefault({});

export const pipelineSchema = z
  .strictObject({
    /** Records larger than this go to the DLQ as oversize instead of being decoded. */
    max_record_bytes: z.number().int().min(1024).default(1_048_576),
    /** Produce requests are split so none exceeds this (keep well under max.message.bytes). */
    max_produce_bytes: z.number().int().min(1024).default(900_000),
    /** SIGTERM: finish the batch in flight, commit and disconnect within this, else exit anyway. */
    shutdown_deadline_ms: z.number().int().min(100).default(30_000),
  })
  .prefault({});
