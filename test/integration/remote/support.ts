import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach } from 'vitest';
import type { CachedRemote } from '../../../src/remote/cache.js';
import { createRemote } from '../../../src/remote/create.js';
import { remoteSchema } from '../../../src/remote/remote-schema.js';
import type { Logger } from '../../../src/telemetry/logger.js';
import { REDACTED_PATHS } from '../../../src/telemetry/logger.js';
import type { Metrics } from '../../../src/telemetry/metrics.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { FaultServer } from '../../helpers/fault-server.js';
import type { FaultServerOptions } from '../../helpers/fault-server.js';

export { pub, pubs } from '../../helpers/public-ip.js';

/** A real pino logger writing JSON lines into memory, with iprisk's redaction. */
export function memoryLogger(): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'debug', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
  const text = (): string => chunks.join('');
  return {
    logger,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** A clock the test moves by hand. */
export class ManualClock {
  now = 1_767_225_600_000; // 2026-01-01T00:00:00Z
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export interface Harness {
  remote: CachedRemote;
  metrics: Metrics;
  clock: ManualClock;
  log: ReturnType<typeof memoryLogger>;
}

/**
 * createRemote over a raw `remote` config section (validated by the real schema), with small
 * backoffs, a manual clock, fresh metrics and a memory logger. Jitter is 0 so retries do not wait.
 */
export function harness(raw: Record<string, unknown>, options: { env?: NodeJS.ProcessEnv; baseDir?: string } = {}): Harness {
  const config = remoteSchema.parse(raw);
  const metrics = createMetrics({ defaultMetrics: false });
  const clock = new ManualClock();
  const log = memoryLogger();
  const remote = createRemote(config, {
    logger: log.logger,
    metrics,
    clock: clock.read,
    random: () => 0,
    ...(options.env ? { env: options.env } : {}),
    ...(options.baseDir ? { baseDir: options.baseDir } : {}),
  });
  if (!remote) throw new Error('no remote configured');
  return { remote, metrics, clock, log };
}

export interface ClosedAfterEach {
  /** A FaultServer on 127.0.0.1, closed when the test ends. */
  faultServer: (options?: FaultServerOptions) => Promise<FaultServer>;
  /** A `harness`, its remote closed when the test ends (before the servers it talks to). */
  harness: (raw: Record<string, unknown>, options?: Parameters<typeof harness>[1]) => Harness;
}

/** Registers (for the calling test file) an afterEach that closes whatever its tests opened through the returned functions. */
export function closedAfterEach(): ClosedAfterEach {
  let remotes: CachedRemote[] = [];
  let servers: FaultServer[] = [];
  afterEach(async () => {
    const [openRemotes, openServers] = [remotes, servers];
    remotes = [];
    servers = [];
    for (const remote of openRemotes) await remote.close();
    for (const server of openServers) await server.close();
  });
  return {
    async faultServer(options) {
      const server = await FaultServer.start(options);
      servers.push(server);
      return server;
    },
    harness(raw, options) {
      const h = harness(raw, options);
      remotes.push(h.remote);
      return h;
    },
  };
}

/** A provider entry with test-friendly defaults (no waiting between retries). */
export function provider(type: 'ipgeolocation' | 'ipqs' | 'iprisk', baseUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type,
    base_url: baseUrl,
    ...(type === 'iprisk' ? {} : { api_key: 'test-key-123' }),
    retries: 0,
    backoff_base_ms: 1,
    backoff_max_ms: 2,
    timeout_ms: 2_000,
    ...extra,
  };
}

/** The value of one labelled child of a metric, 0 when absent. */
export async function metricValue(metric: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return hit?.value ?? 0;
}
