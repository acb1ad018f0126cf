#!/usr/bin/env node
// Try iprisk on a real broker: produce the bundled example logs, or watch what iprisk emits.
//   node scripts/examples.js produce        examples/access.jsonl -> access-logs, auth.jsonl -> auth-events
//   node scripts/examples.js watch          print enriched-events, security-alerts and iprisk-dlq as they arrive
// Brokers and registry come from .stack/env (npm run stack:up) or KAFKA_BROKERS / SCHEMA_REGISTRY_URL.
import { readFileSync, existsSync } from 'node:fs';
import console from 'node:console';
import process from 'node:process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import registryLib from '@kafkajs/confluent-schema-registry';

const { Kafka, logLevel } = kafkajs;
const { SchemaRegistry } = registryLib;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function stackEnv() {
  const file = path.join(root, '.stack', 'env');
  const env = {};
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const at = line.indexOf('=');
      if (at > 0) env[line.slice(0, at)] = line.slice(at + 1).trim();
    }
  }
  return {
    brokers: (process.env.KAFKA_BROKERS ?? env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    registryUrl: process.env.SCHEMA_REGISTRY_URL ?? env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
  };
}

const { brokers, registryUrl } = stackEnv();
const kafka = new Kafka({ clientId: 'iprisk-examples', brokers, logLevel: logLevel.ERROR });

async function produce() {
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const wanted = ['access-logs', 'auth-events'].filter((t) => !existing.has(t));
  if (wanted.length > 0) await admin.createTopics({ topics: wanted.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (const [file, topic, keyField] of [
    ['access.jsonl', 'access-logs', 'client_ip'],
    ['auth.jsonl', 'auth-events', 'user'],
  ]) {
    const lines = readFileSync(path.join(root, 'examples', file), 'utf8').split('\n').filter((l) => l.trim());
    await producer.send({ topic, messages: lines.map((value) => ({ key: String(JSON.parse(value)[keyField] ?? ''), value })) });
    console.log(`produced ${lines.length} events to ${topic}`);
  }
  await producer.disconnect();
}

async function watch() {
  const registry = new SchemaRegistry({ host: registryUrl });
  const consumer = kafka.consumer({ groupId: `iprisk-examples-watch-${process.pid}` });
  await consumer.connect();
  await consumer.subscribe({ topics: ['enriched-events', 'security-alerts', 'iprisk-dlq'], fromBeginning: true });
  console.log('watching enriched-events, security-alerts and iprisk-dlq (Ctrl-C to stop)');
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const value = message.value && message.value[0] === 0 ? await registry.decode(message.value) : message.value?.toString();
      if (topic === 'enriched-events') {
        const s = value.security;
        console.log(`${topic}: ${value.enrichment?.ip ?? '-'} source=${value.enrichment?.source} score=${s ? s.threat_score : '-'} vpn=${s?.is_vpn ?? '-'} tor=${s?.is_tor ?? '-'}`);
      } else if (topic === 'security-alerts') {
        console.log(`${topic}: [${value.severity}] ${value.rule}: ${value.summary}${value.suppressed_count ? ` (+${value.suppressed_count} suppressed)` : ''}`);
      } else {
        console.log(`${topic}: ${message.headers?.['iprisk.error.code']}: ${message.headers?.['iprisk.error.message']}`);
      }
    },
  });
  const stop = () => consumer.disconnect().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const command = process.argv[2];
if (command === 'produce') await produce();
else if (command === 'watch') await watch();
else {
  console.error('usage: node scripts/examples.js produce|watch');
  process.exit(2);
}
