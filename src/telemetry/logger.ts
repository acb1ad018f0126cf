import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** Fields that may hold secrets: redacted wherever they appear in a log record. */
export const REDACTED_PATHS = [
  'apiKey',
  'api_key',
  'api_keys',
  '*.apiKey',
  '*.api_key',
  '*.api_keys',
  '*.password',
  '*.sasl',
  '*.key',
  'headers.authorization',
  '*.headers.authorization',
];

/** Structured JSON logs to stderr (stdout carries data in file mode). Secrets never logged. */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'iprisk',
      level: options.level ?? process.env.IPRISK_LOG_LEVEL ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination(2),
  );
}
