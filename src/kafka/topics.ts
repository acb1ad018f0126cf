import type { Kafka } from 'kafkajs';
import type { Logger } from '../telemetry/logger.js';

/** Creates the topics that do not exist yet (broker defaults for partitions and replicas), so
 * a first run against a fresh cluster works without a separate setup step. */
export async function ensureTopics(kafka: Kafka, topics: readonly string[], logger: Logger): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    await admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true });
    logger.info({ topics: missing }, 'created missing topics with the broker defaults');
  } finally {
    await admin.disconnect();
  }
}
