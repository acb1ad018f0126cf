/** Client-neutral record shapes: the pipeline logic speaks these, only consumer.ts and
 * producer.ts translate to and from the Kafka client's types. */
export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;
export type Headers = Record<string, HeaderValue>;

export interface InRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers | undefined;
  /** Broker or producer timestamp, epoch milliseconds as text. */
  timestamp: string;
}

export interface OutRecord {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | string;
  headers?: Headers;
}
