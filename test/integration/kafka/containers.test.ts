// Which stack served this run, checked against what the environment asked for
// (docs/testing.md): with TEST_STACK=containers the broker and registry must be this
// run's containers, found by their labels, with the JVM stack they must be its processes.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { chooseStack } from '../../helpers/containers/choice.js';
import { COMPONENT_LABEL, RUN_LABEL } from '../../helpers/containers/start.js';
import * as stackScripts from '../../helpers/containers/stack-scripts.js';
import type { StackSource } from '../../helpers/stack.js';

const run = promisify(execFile);
const DOCKER = process.env.DOCKER ?? 'docker';
const stack = inject('stack');

/** What ensureStack must have done, derived again from the environment this run has. */
async function expectedSources(): Promise<{ kafka: StackSource; registry: StackSource }> {
  const fromEnv = { kafka: (process.env.KAFKA_BROKERS ?? '').trim() !== '', registry: (process.env.SCHEMA_REGISTRY_URL ?? '').trim() !== '' };
  const started: StackSource = fromEnv.kafka && fromEnv.registry ? 'environment' : (await chooseStack()).path;
  return { kafka: fromEnv.kafka ? 'environment' : started, registry: fromEnv.registry ? 'environment' : started };
}

function portOf(hostPort: string): number {
  return Number(new URL(hostPort.includes('://') ? hostPort : `tcp://${hostPort}`).port);
}

interface Inspected {
  Id: string;
  Config: { Env: string[]; Labels: Record<string, string> };
  HostConfig: { NetworkMode: string };
  State: { Running: boolean };
}

async function dockerInspect(ids: readonly string[]): Promise<Inspected[]> {
  const { stdout } = await run(DOCKER, ['inspect', ...ids], { encoding: 'utf8' });
  return JSON.parse(stdout) as Inspected[];
}

function envOf(container: Inspected, name: string): string | undefined {
  return container.Config.Env.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
}

describe(`the Kafka suite's stack (${stack.reason})`, () => {
  it('comes from the path the environment asks for', async () => {
    expect(stack.served).toEqual(await expectedSources());
  });

  it('answers: the broker advertises the endpoint the tests use, the registry lists subjects', async () => {
    const admin = new Kafka({ clientId: 'iprisk-stack-path', brokers: stack.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => `${b.host}:${b.port}`)).toContain(stack.brokers[0]);
    } finally {
      await admin.disconnect();
    }
    const response = await fetch(`${stack.registryUrl}/subjects`);
    expect(response.status).toBe(200);
    expect(Array.isArray(await response.json())).toBe(true);
  });

  if (stack.served.kafka === 'containers' || stack.served.registry === 'containers') {
    it("is served by this run's containers, listed by `docker ps` under its labels, on the host network", async () => {
      const { stdout } = await run(DOCKER, ['ps', '--filter', `label=${RUN_LABEL}=${stack.containerRun ?? ''}`, '--format', '{{.ID}}'], { encoding: 'utf8' });
      const listed = stdout.trim().split('\n').filter((id) => id !== '');
      expect(listed.sort()).toEqual(stack.containers.map((c) => c.id.slice(0, 12)).sort());

      const inspected = await dockerInspect(stack.containers.map((c) => c.id));
      const byComponent = new Map(inspected.map((c) => [c.Config.Labels[COMPONENT_LABEL], c]));
      for (const container of inspected) {
        expect(container.State.Running).toBe(true);
        expect(container.HostConfig.NetworkMode).toBe('host');
      }
      // The endpoints the tests use are the ones each container was told to listen on.
      if (stack.served.kafka === 'containers') {
        expect(envOf(byComponent.get('kafka')!, 'KAFKA_ADVERTISED_LISTENERS')).toBe(`PLAINTEXT://${stack.brokers[0] ?? ''}`);
      }
      if (stack.served.registry === 'containers') {
        expect(envOf(byComponent.get('registry')!, 'QUARKUS_HTTP_PORT')).toBe(String(portOf(stack.registryUrl)));
      }
    });
  } else if (stack.served.kafka === 'jvm' || stack.served.registry === 'jvm') {
    it("is served by the local JVM stack, whose state names the endpoints' ports, and by no container", async () => {
      const { stackFile } = await stackScripts.paths();
      const state = JSON.parse(fs.readFileSync(stackFile.state, 'utf8')) as { kafka?: { port: number }; registry?: { port: number } };
      if (stack.served.kafka === 'jvm') expect(state.kafka?.port).toBe(portOf(stack.brokers[0] ?? ''));
      if (stack.served.registry === 'jvm') expect(state.registry?.port).toBe(portOf(stack.registryUrl));
      expect(stack.containers).toEqual([]);
      expect(stack.containerRun).toBeNull();
    });
  } else {
    it('is the one KAFKA_BROKERS and SCHEMA_REGISTRY_URL name, and nothing was started', () => {
      expect(stack.brokers.join(',')).toBe(process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).join(','));
      expect(stack.registryUrl).toBe(process.env.SCHEMA_REGISTRY_URL?.trim().replace(/\/+$/, ''));
      expect(stack.startedHere).toBe(false);
    });
  }
});
