// `iprisk run` stopped before its broker ever answers: a pod rescheduled while Kafka is away, or
// `docker stop` of a container that is still connecting. The signal handlers must already be in
// place then, or the process (PID 1 in a container) ignores SIGTERM until it is killed.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { childEnv } from '../../helpers/env.js';
import { REPO_ROOT } from '../../helpers/paths.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

describe('iprisk run stopped during start-up', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`exits 0 at once on ${signal} while the broker does not answer`, async () => {
      // Nothing listens on the broker port, so run stays in start-up, its ops port already up.
      const [brokerPort, httpPort] = await Promise.all([freePort(), freePort()]);
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'iprisk.js'), 'run'], {
        cwd: REPO_ROOT,
        env: childEnv({
          IPRISK_KAFKA__BROKERS: `["127.0.0.1:${brokerPort}"]`,
          IPRISK_INPUTS: '[{ topic: access-logs, kind: access, format: json }]',
          IPRISK_OUTPUTS: '{ enriched: { topic: enriched-events, format: json }, alerts: { topic: security-alerts, format: json }, dlq: { topic: iprisk-dlq } }',
          IPRISK_HTTP__HOST: '127.0.0.1',
          IPRISK_HTTP__PORT: String(httpPort),
        }),
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const lines: string[] = [];
      createInterface({ input: child.stderr }).on('line', (line) => lines.push(line));
      const deadline = Date.now() + 20_000;
      for (;;) {
        const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.status, () => undefined);
        if (ready !== undefined) {
          // Still connecting: not ready, which is the state this test is about.
          expect(ready).toBe(503);
          break;
        }
        if (Date.now() > deadline) throw new Error(`run's ops port never answered:\n${lines.join('\n')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const stopAt = Date.now();
      child.kill(signal);
      expect(await exited).toBe(0);
      // Well under kafkajs's connection retries (tens of seconds): the signal, not a give-up.
      expect(Date.now() - stopAt).toBeLessThan(3_000);
      expect(lines.some((line) => line.includes('stopping during start-up'))).toBe(true);
    });
  }
});
