import type { Kafka, Producer } from 'kafkajs';
import type { Alert } from '../alerts/types.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { OutputEncoder, OutputFormat } from './output-encoder.js';
import { byTopic, chunkRecords } from './pipeline.js';
import type { OutRecord } from './records.js';
import { alertRecord } from './records.js';

export interface RetroSinkOptions {
  kafka: Kafka;
  encoder: OutputEncoder;
  topic: string;
  format: OutputFormat;
  maxProduceBytes: number;
  metrics: Metrics;
}

/**
 * Produces retro-alerts to the alerts topic, in the alerts' format, with a producer of its own
 * (acks=all, idempotent): they belong to no input offset, so they stay out of the pipeline's
 * batches and transactions. Sends run one after another, in swap order.
 */
export class RetroAlertSink {
  private readonly producer: Producer;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: RetroSinkOptions) {
    this.producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  }

  start(): Promise<void> {
    return this.producer.connect();
  }

  /** Resolves once every alert is acknowledged; rejects when one could not be produced. */
  send(alerts: readonly Alert[]): Promise<void> {
    const sent = this.queue.then(() => this.produce(alerts));
    this.queue = sent.catch(() => undefined);
    return sent;
  }

  async stop(): Promise<void> {
    await this.queue;
    await this.producer.disconnect();
  }

  private async produce(alerts: readonly Alert[]): Promise<void> {
    const { encoder, topic, format, maxProduceBytes, metrics } = this.options;
    const records: OutRecord[] = [];
    for (const alert of alerts) records.push(alertRecord(alert, topic, await encoder.alert(alert, topic, format)));
    for (const chunk of chunkRecords(records, maxProduceBytes)) {
      await this.producer.sendBatch({ acks: -1, topicMessages: byTopic(chunk) });
    }
    for (const alert of alerts) metrics.retroAlerts.inc({ rule: alert.rule, severity: alert.severity });
  }
}
