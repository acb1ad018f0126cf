// `iprisk run` against secured clusters, as production runs it: a real broker with TLS
// (server-verified and mutual) and SASL over TLS (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), and
// the real schema registry behind nginx with HTTPS and basic auth. Secrets come from files and
// the environment, and none of them may reach the logs, /metrics or an error message.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RunProcess, TopicCollector, assertBuilt, createTopics, retrying, uniqueName, writeConfig } from '../../helpers/kafka.js';
import { startSecureBroker, startTlsProxy } from '../../helpers/secure-services.js';
import type { Credentials, SecureBroker, TlsProxy } from '../../helpers/secure-services.js';

const { registryUrl } = inject('stack');
// Not an IPRISK_* name: those are configuration overrides.
const REGISTRY_PASSWORD_ENV = 'SECURED_TEST_REGISTRY_PASSWORD';
const registryCredentials: Credentials = { username: 'iprisk-registry', password: `registry-${uniqueName('pw')}` };

let broker: SecureBroker;
let proxy: TlsProxy;
let dir: string;
/** Undone in afterAll, last first: what beforeAll managed to start before any failure. */
const teardown: (() => Promise<void> | void)[] = [];

type Mode = 'tls' | 'mtls' | 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** The iprisk `kafka` section and the test client's settings for one way of connecting. */
function connection(mode: Mode): { iprisk: Record<string, unknown>; client: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>; secrets: string[] } {
  const ca = readFileSync(broker.caFile);
  if (mode === 'tls') return { iprisk: { brokers: [broker.tls], tls: { ca_file: broker.caFile } }, client: { brokers: [broker.tls], ssl: { ca: [ca] } }, secrets: [] };
  if (mode === 'mtls') {
    const key = readFileSync(broker.clientKeyFile, 'utf8');
    return {
      iprisk: { brokers: [broker.mtls], tls: { ca_file: broker.caFile, cert_file: broker.clientCertFile, key_file: broker.clientKeyFile } },
      client: { brokers: [broker.mtls], ssl: { ca: [ca], cert: readFileSync(broker.clientCertFile), key } },
      // The body of the private key: no line of it may be printed anywhere.
      secrets: key.split('\n').filter((line) => line.length > 40),
    };
  }
  const user = mode === 'plain' ? broker.plain : mode === 'scram-sha-256' ? broker.scram256 : broker.scram512;
  const passwordFile = path.join(dir, `${mode}.password`);
  writeFileSync(passwordFile, `${user.password}\n`, { mode: 0o600 });
  return {
    iprisk: { brokers: [broker.sasl], tls: { ca_file: broker.caFile }, sasl: { mechanism: mode, username: user.username, password: { file: passwordFile } } },
    client: { brokers: [broker.sasl], ssl: { ca: [ca] }, sasl: { mechanism: mode, ...user } as SASLOptions },
    secrets: [user.password],
  };
}

function clientFor(mode: Mode): Kafka {
  return new Kafka({ clientId: 'iprisk-secure-test', logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 }, ...connection(mode).client });
}

function runConfig(mode: Mode, topics: { input: string; enriched: string; alerts: string; dlq: string; group: string }, kafka: Record<string, unknown> = {}): string {
  return writeConfig(
    dir,
    {
      kafka: { client_id: 'iprisk-secure', group_id: topics.group, start_from: 'earliest', session_timeout_ms: 6000, heartbeat_interval_ms: 1000, ...connection(mode).iprisk, ...kafka },
      schema_registry: { url: proxy.url, username: registryCredentials.username, password: { env: REGISTRY_PASSWORD_ENV }, tls: { ca_file: broker.caFile } },
      inputs: [{ topic: topics.input, kind: 'access', format: 'json' }],
      // Avro out: every record goes through the https registry with basic auth.
      outputs: { enriched: { topic: topics.enriched, format: 'avro' }, alerts: { topic: topics.alerts, format: 'json' }, dlq: { topic: topics.dlq } },
      http: { port: 0 },
    },
    `${topics.group}.yaml`,
  );
}

function expectNoSecret(text: string, secrets: readonly string[], where: string): void {
  for (const secret of secrets) expect(text.includes(secret), `${where} contains a secret`).toBe(false);
}

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'iprisk-secured-'));
  teardown.push(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  broker = await startSecureBroker();
  teardown.push(() => broker.stop());
  proxy = await startTlsProxy(registryUrl, { certFile: broker.serverCertFile, keyFile: broker.serverKeyFile }, registryCredentials);
  teardown.push(() => proxy.stop());
}, 10 * 60_000);

afterAll(async () => {
  for (const undo of teardown.splice(0).reverse()) await undo();
}, 120_000);

describe('iprisk run on a secured cluster', () => {
  it('the registry behind the proxy answers over https only with its basic-auth credentials', async () => {
    const dispatcher = new Agent({ connect: { ca: readFileSync(broker.caFile) } });
    const anonymous = await fetch(`${proxy.url}/subjects`, { dispatcher });
    expect(anonymous.status).toBe(401);
    const basic = `Basic ${Buffer.from(`${registryCredentials.username}:${registryCredentials.password}`).toString('base64')}`;
    const authorised = await fetch(`${proxy.url}/subjects`, { dispatcher, headers: { authorization: basic } });
    expect(authorised.status).toBe(200);
    expect(Array.isArray(await authorised.json())).toBe(true);
    await dispatcher.close();
  });

  for (const mode of ['tls', 'mtls', 'plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    it(`enriches events over ${mode === 'tls' ? 'server-verified TLS' : mode === 'mtls' ? 'mutual TLS' : `SASL ${mode.toUpperCase()} over TLS`}, and no secret reaches the logs or /metrics`, async () => {
      const topics = { input: uniqueName(`sec-${mode}-in`), enriched: uniqueName(`sec-${mode}-out`), alerts: uniqueName(`sec-${mode}-alerts`), dlq: uniqueName(`sec-${mode}-dlq`), group: uniqueName(`sec-${mode}`) };
      const kafka = clientFor(mode);
      const admin = kafka.admin();
      await retrying('connecting the secured admin', () => admin.connect());
      const producer = kafka.producer();
      await producer.connect();
      let collector: TopicCollector | undefined;
      const run = RunProcess.start(runConfig(mode, topics), { [REGISTRY_PASSWORD_ENV]: registryCredentials.password });
      try {
        await createTopics(admin, [
          { topic: topics.input, partitions: 1 },
          { topic: topics.enriched, partitions: 1 },
          { topic: topics.alerts, partitions: 1 },
          { topic: topics.dlq, partitions: 1 },
        ]);
        const events = ['2.56.188.34', '1.0.0.1', '8.8.8.8'].map((ip, i) => ({ value: JSON.stringify({ timestamp: '2026-03-02T11:00:00Z', client_ip: ip, request_id: `${mode}-${i}` }) }));
        await producer.send({ topic: topics.input, acks: -1, messages: events });
        collector = await TopicCollector.start(kafka, [topics.enriched]);
        await collector.until('three enriched records', (c) => c.on(topics.enriched).length >= 3, 60_000);
        for (const record of collector.on(topics.enriched)) {
          // Confluent framing: the schema was registered through the https proxy.
          expect(record.value?.[0]).toBe(0);
        }
        const subjects = (await (await fetch(`${registryUrl}/subjects`)).json()) as string[];
        expect(subjects).toContain(`${topics.enriched}-value`);

        const ops = await run.opsUrl();
        const metrics = await (await fetch(`${ops}/metrics`)).text();
        const secrets = [...connection(mode).secrets, registryCredentials.password];
        expectNoSecret(metrics, secrets, '/metrics');
        expectNoSecret(run.stderr, secrets, 'the log');
      } finally {
        await run.kill();
        await collector?.stop();
        await producer.disconnect();
        await admin.disconnect();
      }
    }, 120_000);
  }

  it('a wrong SCRAM password is reported as an authentication failure that names no password', async () => {
    const topics = { input: uniqueName('sec-bad-in'), enriched: uniqueName('sec-bad-out'), alerts: uniqueName('sec-bad-alerts'), dlq: uniqueName('sec-bad-dlq'), group: uniqueName('sec-bad') };
    const wrong = `wrong-${uniqueName('pw')}`;
    const passwordFile = path.join(dir, 'wrong.password');
    writeFileSync(passwordFile, wrong, { mode: 0o600 });
    const run = RunProcess.start(
      runConfig('scram-sha-512', topics, { sasl: { mechanism: 'scram-sha-512', username: broker.scram512.username, password: { file: passwordFile } } }),
      { [REGISTRY_PASSWORD_ENV]: registryCredentials.password },
    );
    try {
      // The broker refuses the handshake, so run fails fast at start rather than retrying for
      // ever behind a /readyz of 503: a wrong credential is a configuration error.
      const exit = await Promise.race([
        run.exited,
        new Promise<undefined>((resolve) => setTimeout(() => { resolve(undefined); }, 60_000)),
      ]);
      expect(exit, `iprisk run kept running with a wrong password:\n${run.tail()}`).toBeDefined();
      expect(exit?.code).not.toBe(0);
      expect(run.stderr).toMatch(/SASL SCRAM SHA512 authentication failed/i);
      expectNoSecret(run.stderr, [wrong, broker.scram512.password, registryCredentials.password], 'the log');
    } finally {
      await run.kill();
    }
  }, 120_000);
});
