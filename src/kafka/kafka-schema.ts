import { z } from 'zod';

/** A secret given inline, by environment variable or by file; resolved at start, never logged. */
export const secretSchema = z.union([
  z.string().min(1),
  z.strictObject({ env: z.string().min(1) }),
  z.strictObject({ file: z.string().min(1) }),
]);
export type SecretConfig = z.infer<typeof secretSchema>;

/** TLS towards the brokers or the schema registry: a private CA, a client certificate for mutual TLS. */
export const tlsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Connect with TLS. Giving the section turns TLS on; false turns it off and keeps the section.'),
    ca_file: z
      .string()
      .min(1)
      .optional()
      .describe("PEM file of the CA certificates that signed the server's, relative to the config file's folder. Absent: the system's trusted CAs (and NODE_EXTRA_CA_CERTS)."),
    cert_file: z.string().min(1).optional().describe("PEM client certificate for mutual TLS, relative to the config file's folder."),
    key_file: z.string().min(1).optional().describe("PEM private key of cert_file, relative to the config file's folder."),
    key_password: secretSchema.optional().describe("Passphrase of an encrypted key_file: a string, `{env: NAME}` (an environment variable) or `{file: PATH}` (a file, relative to the config file's folder, surrounding whitespace trimmed)."),
    reject_unauthorized: z
      .boolean()
      .default(true)
      .describe('Refuse a server certificate that does not chain to a trusted CA or does not name the host. false is for tests only: it allows any server.'),
    servername: z.string().min(1).optional().describe('Name sent as TLS SNI and checked against the certificate, when it is not the host name connected to.'),
  });

export type TlsConfig = z.infer<typeof tlsSchema>;

const saslSchema = z.strictObject({
  mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).describe('SASL mechanism the brokers accept. plain sends the password as is: use it over TLS only.'),
  username: z.string().min(1).describe('SASL user name.'),
  password: secretSchema.describe("SASL password: a string, `{env: NAME}` (an environment variable) or `{file: PATH}` (a file, relative to the config file's folder, surrounding whitespace trimmed)."),
});

/** The Kafka cluster and the consumer group (SPEC section 9). */
export const kafkaSchema = z
  .strictObject({
    brokers: z
      .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port'))
      .min(1)
      .default(['127.0.0.1:9092'])
      .describe('Bootstrap brokers as host:port; the rest of the cluster is learnt from them.'),
    client_id: z.string().min(1).default('iprisk').describe("Client id sent with every request: the brokers' logs and quotas name the client by it."),
    group_id: z
      .string()
      .min(1)
      .default('iprisk')
      .describe('Consumer group of `iprisk run`. Instances with the same group split the input partitions between them; committed offsets belong to the group.'),
    tls: tlsSchema.optional().describe('TLS towards the brokers. Absent: plain TCP.'),
    sasl: saslSchema.optional().describe('SASL authentication towards the brokers. Absent: none.'),
    start_from: z
      .enum(['latest', 'earliest'])
      .default('latest')
      .describe('Where a group with no committed offset for a partition starts: latest (new records only, as Vector and Logstash do) or earliest (the oldest retained record).'),
    exactly_once: z
      .boolean()
      .default(false)
      .describe("Kafka transactions: a batch's outputs and its input offset commit atomically, and one partition is processed at a time. Readers of the outputs need isolation.level=read_committed to skip aborted records."),
    transactional_id: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Set it, stable per instance, when exactly_once: a restarted instance with the same id fences its predecessor's open transaction at once. The default `<group_id>-<hostname>-<pid>` changes per process, so readers wait for the old transaction to time out instead.",
      ),
    transaction_timeout_ms: z
      .number()
      .int()
      .min(1000)
      .max(900_000)
      .default(15_000)
      .describe("With exactly_once: how long the broker lets a transaction stay open before aborting it, and so how long an abandoned one holds back read_committed readers. At most the broker's transaction.max.timeout.ms."),
    session_timeout_ms: z
      .number()
      .int()
      .min(6000)
      .max(300_000)
      .default(30_000)
      .describe('A member that sends no heartbeat for this long leaves the group and its partitions go to the others. A batch keeps heartbeating while it waits, so a slow batch is not silence.'),
    heartbeat_interval_ms: z
      .number()
      .int()
      .min(500)
      .max(60_000)
      .default(3000)
      .describe('How often the consumer heartbeats, during a batch too. Keep it at a third of session_timeout_ms or less.'),
    connection_timeout_ms: z.number().int().min(100).max(120_000).default(3000).describe('Time to open a connection to a broker (TCP and TLS) before the attempt counts as failed and is retried.'),
    request_timeout_ms: z.number().int().min(1000).max(300_000).default(30_000).describe('Time a broker has to answer one request before it counts as failed and is retried.'),
    max_bytes_per_partition: z
      .number()
      .int()
      .min(1024)
      .default(1_048_576)
      .describe('Most bytes one fetch takes from one partition. With max_bytes it bounds the memory a burst can take.'),
    max_bytes: z.number().int().min(1024).default(10_485_760).describe('Most bytes one fetch response carries, all partitions together.'),
    partitions_concurrently: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(2)
      .describe('Partitions processed at once; each holds at most one batch in flight. exactly_once processes one at a time whatever this says.'),
  })
  .prefault({});

export const schemaRegistrySchema = z.strictObject({
  url: z.url().describe('Confluent-compatible base URL (Apicurio: .../apis/ccompat/v7).'),
  username: z.string().min(1).optional().describe('HTTP basic-auth user name for the registry.'),
  password: secretSchema.optional().describe("HTTP basic-auth password for the registry: a string, `{env: NAME}` (an environment variable) or `{file: PATH}` (a file, relative to the config file's folder, surrounding whitespace trimmed)."),
  tls: tlsSchema.optional().describe("TLS towards an https registry: a private CA (ca_file), mutual TLS (cert_file, key_file). Absent: Node's trusted CAs apply."),
});

const inputSchema = z.strictObject({
  topic: z.string().min(1).describe('Input topic to consume; each topic is listed once.'),
  kind: z
    .enum(['access', 'auth'])
    .describe("What the topic carries: access logs or auth events. It picks the bundled output schema for JSON input and the alert rules that apply (a rule's kinds)."),
  format: z
    .enum(['json', 'avro', 'auto'])
    .default('auto')
    .describe('Record values: json, Confluent-framed Avro, or auto, which tells Confluent-framed Avro (magic byte 0) from JSON per record.'),
  ip_fields: z.array(z.string().min(1)).min(1).optional().describe('Overrides enrich.ip_fields for this topic.'),
  xff_field: z.string().min(1).optional().describe('Overrides enrich.xff_field for this topic.'),
  trusted_proxies: z.array(z.string().min(1)).optional().describe('Overrides enrich.trusted_proxies for this topic.'),
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
        topic: z.string().min(1).optional().describe('One enriched topic for every input. Absent: each input gets `<input topic><per_input_suffix>`.'),
        per_input_suffix: z.string().min(1).default('-enriched').describe('Appended to the input topic name to name its enriched topic when topic is absent.'),
        format: z
          .enum(['avro', 'json'])
          .default('avro')
          .describe('avro: Confluent-framed Avro, the schema registered under `<topic>-value`; json: one JSON object per record.'),
      })
      .prefault({}),
    alerts: z
      .strictObject({
        topic: z.string().min(1).default('security-alerts').describe('Topic the alerts go to, one record per alert.'),
        format: z.enum(['avro', 'json']).default('avro').describe('avro: the bundled Alert schema, Confluent-framed; json: one JSON object per alert.'),
      })
      .prefault({}),
    dlq: z
      .strictObject({
        topic: z
          .string()
          .min(1)
          .default('iprisk-dlq')
          .describe('Dead-letter topic: records that cannot be decoded, with their original key, value and headers plus iprisk.source.* and iprisk.error.* headers.'),
      })
      .prefault({}),
  })
  .prefault({});

export const httpSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1').describe('Interface for /metrics, /healthz and /readyz of `iprisk run`. In a container, 0.0.0.0 lets the probes and Prometheus reach it.'),
    port: z.number().int().min(0).max(65535).default(9464).describe('Port of /metrics, /healthz and /readyz of `iprisk run`; 0 picks a free port.'),
  })
  .prefault({});

export const pipelineSchema = z
  .strictObject({
    max_record_bytes: z.number().int().min(1024).default(1_048_576).describe('Records larger than this go to the DLQ as oversize instead of being decoded.'),
    max_produce_bytes: z
      .number()
      .int()
      .min(1024)
      .default(900_000)
      .describe("Produce requests are split so none exceeds this; keep it well under the brokers' message.max.bytes."),
    shutdown_deadline_ms: z
      .number()
      .int()
      .min(100)
      .default(30_000)
      .describe('On SIGTERM: finish the batch in flight, commit and disconnect within this, else exit anyway.'),
  })
  .prefault({});
