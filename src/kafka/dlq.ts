import type { DlqReason } from './decode.js';
import type { InRecord, OutRecord } from './records.js';

/** Header names added to a dead-lettered record; the original headers stay as they were. */
export const DLQ_HEADERS = {
  topic: 'iprisk.source.topic',
  partition: 'iprisk.source.partition',
  offset: 'iprisk.source.offset',
  code: 'iprisk.error.code',
  message: 'iprisk.error.message',
} as const;

const MAX_MESSAGE_CHARS = 1000;

/** The DLQ copy of a record: original key, value and headers untouched, plus where it came
 * from and why it could not be enriched. */
export function dlqRecord(dlqTopic: string, source: { topic: string; partition: number }, record: InRecord, reason: DlqReason | 'encode_failed', message: string): OutRecord {
  return {
    topic: dlqTopic,
    key: record.key,
    value: record.value ?? Buffer.alloc(0),
    headers: {
      ...record.headers,
      [DLQ_HEADERS.topic]: source.topic,
      [DLQ_HEADERS.partition]: String(source.partition),
      [DLQ_HEADERS.offset]: record.offset,
      [DLQ_HEADERS.code]: reason,
      [DLQ_HEADERS.message]: message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}...` : message,
    },
  };
}
