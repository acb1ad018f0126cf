import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConfig, LogEntry, SASLOptions } from 'kafkajs';
import type { Logger } from '../telemetry/logger.js';
import type { IpriskConfig } from '../config/schema.js';
import { resolveSecret } from './secrets.js';
import { tlsConnectionOptions } from './tls.js';

/** kafkajs log levels onto pino's; kafkajs's ERROR lines about retried requests are warnings to us. */
function logCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry): void => {
      const { message, ...extra } = log;
      const fields = { kafka: extra };
      if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(fields, message);
      else if (level === logLevel.INFO) logger.debug(fields, message);
      else logger.trace(fields, message);
    };
}

/** A Kafka client from the `kafka` section: brokers, client id, TLS and SASL (plain, SCRAM). */
export function createKafka(config: IpriskConfig['kafka'], baseDir: string, logger: Logger, env: NodeJS.ProcessEnv = process.env): Kafka {
  const options: KafkaConfig = {
    clientId: config.client_id,
    brokers: config.brokers,
    connectionTimeout: config.connection_timeout_ms,
    requestTimeout: config.request_timeout_ms,
    logLevel: logLevel.INFO,
    logCreator: logCreator(logger),
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
  };
  if (config.tls?.enabled) options.ssl = tlsConnectionOptions(config.tls, 'kafka.tls', baseDir, env);
  if (config.sasl) {
    const password = resolveSecret(config.sasl.password, 'kafka.sasl.password', baseDir, env);
    options.sasl = { mechanism: config.sasl.mechanism, username: config.sasl.username, password } as SASLOptions;
  }
  return new Kafka(options);
}
