import type { Alert } from '../alerts/types.js';
/** Client-neutral record shapes: the pipeline logic speaks these, only consumer.ts and
 * producer.ts translate to and from the Kafka client's types. */
export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;
export type Headers = Record<string, HeaderValue>;

export interface InRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Headers | undefined;
  /** Broker or producer timestamp, epoch milliseconds as text. */
  timestamp: string;
}

export interface OutRecord {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | string;
  headers?: Headers;
}

/** An alert as a record of the alerts topic: keyed by address, so every alert about one address lands in one partition, in order. */
export function alertRecord(alert: Alert, topic: string, value: Buffer | string): OutRecord {
  return { topic, key: alert.ip, value, headers: { 'iprisk.alert.rule': alert.rule, 'iprisk.alert.severity': alert.severity } };
}
