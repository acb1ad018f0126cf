// Smoke test of the local stack itself: the broker stores and serves messages, the registry's
// Confluent-compatible API keeps schemas, and a client no one here wrote (Python
// confluent-kafka) interoperates with the JS libraries the project uses.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensurePythonVenv } from '../../helpers/python-venv.js';

const { brokers, registryUrl } = inject('stack');
const kafka = new Kafka({ clientId: 'iprisk-stack-smoke', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const topics: string[] = [];

const SCHEMA = {
  type: 'record',
  name: 'StackSmoke',
  namespace: 'iprisk.test',
  fields: [
    { name: 'ip', type: 'string' },
    { name: 'threat_score', type: 'int' },
    { name: 'is_tor', type: 'boolean' },
  ],
} as const;

async function freshTopic(): Promise<string> {
  const topic = `stack-smoke-${randomUUID()}`;
  topics.push(topic);
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  return topic;
}

/** The first message on `topic`, read from the beginning by a fresh consumer group. */
async function firstMessage(topic: string, timeoutMs = 45_000): Promise<KafkaMessage> {
  const consumer = kafka.consumer({ groupId: `stack-smoke-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<KafkaMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no message on ${topic} within ${timeoutMs} ms`));
      }, timeoutMs);
      consumer
        .run({
          eachMessage: ({ message }) => {
            clearTimeout(timer);
            resolve(message);
            return Promise.resolve();
          },
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
  } finally {
    await consumer.disconnect();
  }
}

async function registryJson(path: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(`${registryUrl}${path}`, {
    ...init,
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', accept: 'application/vnd.schemaregistry.v1+json' },
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: HTTP ${response.status} ${body}`);
  return JSON.parse(body) as unknown;
}

beforeAll(async () => {
  await admin.connect();
});

afterAll(async () => {
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

describe('the local stack', () => {
  it('stores a message produced to a new topic and serves it to a consumer group', { timeout: 60_000 }, async () => {
    const topic = await freshTopic();
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ key: 'k1', value: 'hello from kafkajs' }] });
    } finally {
      await producer.disconnect();
    }
    const message = await firstMessage(topic);
    expect(message.key?.toString('utf8')).toBe('k1');
    expect(message.value?.toString('utf8')).toBe('hello from kafkajs');
  });

  it('keeps a schema registered under <topic>-value and returns it by subject and by id', async () => {
    const subject = `stack-smoke-${randomUUID()}-value`;
    const registered = (await registryJson(`/subjects/${subject}/versions`, {
      method: 'POST',
      body: JSON.stringify({ schema: JSON.stringify(SCHEMA) }),
    })) as { id: number };
    expect(Number.isInteger(registered.id)).toBe(true);

    const latest = (await registryJson(`/subjects/${subject}/versions/latest`)) as { subject: string; id: number; version: number; schema: string };
    expect(latest.subject).toBe(subject);
    expect(latest.id).toBe(registered.id);
    expect(latest.version).toBe(1);
    expect(JSON.parse(latest.schema)).toEqual(SCHEMA);

    const byId = (await registryJson(`/schemas/ids/${registered.id}`)) as { schema: string };
    expect(JSON.parse(byId.schema)).toEqual(SCHEMA);
  });
});

describe('the local stack with the Python confluent-kafka client', () => {
  let python = '';

  beforeAll(async () => {
    // First use creates the venv and installs from PyPI.
    python = await ensurePythonVenv();
  }, 10 * 60_000);

  it('carries an Avro record serialised by AvroSerializer to @kafkajs/confluent-schema-registry', { timeout: 90_000 }, async () => {
    const topic = await freshTopic();
    const record = { ip: '198.51.100.7', threat_score: 80, is_tor: true };
    await new Promise<void>((resolve, reject) => {
      execFile(python, ['-c', PYTHON_PRODUCER, brokers.join(','), registryUrl, topic, JSON.stringify(SCHEMA), JSON.stringify(record)], { timeout: 60_000 }, (error, _stdout, stderr) => {
        if (error) reject(new Error(`the Python producer failed: ${error.message}\n${stderr}`));
        else resolve();
      });
    });

    const message = await firstMessage(topic);
    const value = message.value;
    if (value === null) throw new Error('the Python producer wrote a null value');
    // Confluent wire format: magic byte 0, then the schema id registered under <topic>-value.
    const latest = (await registryJson(`/subjects/${topic}-value/versions/latest`)) as { id: number };
    expect(value.readUInt8(0)).toBe(0);
    expect(value.readInt32BE(1)).toBe(latest.id);

    const registry = new SchemaRegistry({ host: registryUrl });
    expect(await registry.decode(value)).toEqual(record);
  });
});

const PYTHON_PRODUCER = `
import json, sys
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

brokers, registry_url, topic, schema, record = sys.argv[1:6]
serializer = AvroSerializer(SchemaRegistryClient({"url": registry_url}), schema)
value = serializer(json.loads(record), SerializationContext(topic, MessageField.VALUE))
failures = []
producer = Producer({"bootstrap.servers": brokers, "acks": "all"})
producer.produce(topic, value=value, on_delivery=lambda err, _msg: failures.append(err) if err else None)
if producer.flush(30) != 0 or failures:
    sys.exit("delivery failed: %s" % failures)
`;
