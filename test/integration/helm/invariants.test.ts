// What the rendered manifests must keep, whatever the scenario: hardened containers, secrets by
// reference only, a config that iprisk itself accepts, probes on the right port, an index filled
// before every start, and autoscaling that never fights itself.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import { planUpdate } from '../../../src/update/plan.js';
import { ensureHelm } from '../../helpers/helm.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import type { Container, Manifest, PodSpec } from './support.js';
import {
  HELM_HOOK_TIMEOUT_MS,
  RELEASE,
  allContainers,
  dashboardFile,
  ofKind,
  one,
  podTemplateOf,
  render,
  renderedConfigText,
  rulesFile,
  scenarioFile,
  scenarios,
  template,
  valuesFile,
  writeScratch,
} from './support.js';

const SNAPSHOT = '/var/lib/iprisk/index.snap';
const CONFIG_FILE = '/etc/iprisk/iprisk.yaml';

const rendered = new Map<string, Manifest[]>();

beforeAll(async () => {
  await ensureHelm();
  for (const s of scenarios()) rendered.set(s.name, await render([s.file]));
}, HELM_HOOK_TIMEOUT_MS);

function scenario(name: string): Manifest[] {
  const manifests = rendered.get(name);
  if (!manifests) throw new Error(`scenario ${name} was not rendered`);
  return manifests;
}

function checksumOf(manifests: readonly Manifest[], kind: string, name: string): string | undefined {
  return podTemplateOf(one(manifests, kind, name))?.metadata.annotations?.['checksum/config'];
}

function mainContainer(manifests: readonly Manifest[], deployment: string, name: string): { container: Container; pod: PodSpec } {
  const pod = podTemplateOf(one(manifests, 'Deployment', deployment))!.spec;
  const container = pod.containers.find((c) => c.name === name);
  if (!container) throw new Error(`Deployment ${deployment} has no container ${name}`);
  return { container, pod };
}

function portOf(container: Container, name: string | number): number | undefined {
  return typeof name === 'number' ? name : container.ports?.find((p) => p.name === name)?.containerPort;
}

describe('every container', () => {
  it('runs non-root as uid 1000 with a read-only root, no privilege escalation, no capabilities and the RuntimeDefault seccomp profile', () => {
    let checked = 0;
    const kinds = new Set<string>();
    for (const s of scenarios()) {
      for (const { owner, container, pod } of allContainers(scenario(s.name))) {
        const where = `${s.name}: ${owner} container ${container.name}`;
        expect(container.securityContext, where).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 1000,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(pod.securityContext, where).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
        kinds.add(`${owner.split('/')[0]}:${container.name}`);
        checked += 1;
      }
    }
    // The init containers, the sidecar and the CronJob's container are among those checked.
    expect([...kinds]).toEqual(
      expect.arrayContaining(['Deployment:index-init', 'Deployment:run', 'Deployment:serve', 'Deployment:index-update', 'CronJob:index-update']),
    );
    expect(checked).toBeGreaterThan(8);
  });

  it('writes only to the index volume and /tmp: the config and the secrets are mounted read-only', () => {
    for (const { owner, container } of allContainers(scenario('production'))) {
      for (const mount of container.volumeMounts ?? []) {
        if (mount.mountPath === '/tmp' || (mount.mountPath === '/var/lib/iprisk' && container.name.startsWith('index-'))) continue;
        expect(mount.readOnly, `${owner} ${container.name} ${mount.mountPath}`).toBe(true);
      }
    }
  });
});

describe('the configuration', () => {
  it('is the ConfigMap every pod mounts, with http on 0.0.0.0 and the index on the index volume', () => {
    for (const s of scenarios()) {
      const config = parse(renderedConfigText(scenario(s.name))) as { http: { host: string; port: number }; index: { path: string } };
      expect(config.http.host, s.name).toBe('0.0.0.0');
      expect(config.index.path, s.name).toBe(SNAPSHOT);
      for (const { owner, container } of allContainers(scenario(s.name))) {
        expect(container.args?.join(' '), `${s.name} ${owner}`).toContain(`-c ${CONFIG_FILE}`);
        expect(container.volumeMounts?.find((m) => m.name === 'config')?.mountPath).toBe('/etc/iprisk');
      }
    }
  });

  it('is accepted by iprisk itself: `iprisk run` gets past config validation to opening the index', () => {
    for (const s of scenarios()) {
      const file = writeScratch(`${s.name}-iprisk.yaml`, renderedConfigText(scenario(s.name)));
      const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'iprisk.js'), 'run', '-c', file], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { PATH: process.env.PATH },
      });
      // The snapshot lives in the pod's volume, not here: the first thing that fails after the
      // config and run's own checks (inputs, registry) passed is opening it.
      expect(run.stderr, s.name).not.toContain('invalid configuration');
      expect(run.stderr, s.name).toContain(`cannot read index snapshot ${SNAPSHOT}`);
      expect(run.status, s.name).toBe(1);
    }
  });

  it('is accepted by `index update` and `serve` too, with every feed stored on the index volume', () => {
    for (const s of scenarios()) {
      const file = writeScratch(`${s.name}-update.yaml`, renderedConfigText(scenario(s.name)));
      const loaded = loadConfig(file, {});
      const plan = planUpdate(loaded);
      expect(plan.snapshot).toBe(SNAPSHOT);
      expect(plan.feeds.length, s.name).toBeGreaterThan(0);
      for (const feed of plan.feeds) expect(feed.file.startsWith('/var/lib/iprisk/'), `${s.name} ${feed.source.name}: ${feed.file}`).toBe(true);
      expect(loaded.config.serve.api_keys, s.name).toEqual([]);
    }
  });

  it('rolls the pods when it changes: the checksum annotation follows the config and nothing else', async () => {
    const base = scenario('production');
    const changed = await render([scenarioFile('production'), valuesFile({ config: { enrich: { batch_size: 2048 } } })]);
    const rescaled = await render([scenarioFile('production'), valuesFile({ replicaCount: 5, podAnnotations: { other: 'x' } })]);
    for (const [kind, name] of [
      ['Deployment', RELEASE],
      ['Deployment', `${RELEASE}-serve`],
      ['CronJob', `${RELEASE}-index-update`],
    ] as const) {
      const before = checksumOf(base, kind, name);
      expect(before, `${kind}/${name}`).toMatch(/^[0-9a-f]{64}$/);
      expect(checksumOf(changed, kind, name), `${kind}/${name}`).not.toBe(before);
      expect(checksumOf(rescaled, kind, name), `${kind}/${name}`).toBe(before);
    }
  });
});

describe('secrets', () => {
  it('come from existingSecret by reference, as env and files, and the chart creates no Secret', () => {
    const manifests = scenario('production');
    expect(ofKind(manifests, 'Secret')).toEqual([]);
    const config = parse(renderedConfigText(manifests)) as {
      kafka: { sasl: { password: unknown } };
      schema_registry: { password: unknown };
      remote: { providers: Record<string, unknown>[] };
    };
    expect(config.kafka.sasl.password).toEqual({ env: 'KAFKA_PASSWORD' });
    expect(config.schema_registry.password).toEqual({ file: '/var/run/secrets/iprisk/SCHEMA_REGISTRY_PASSWORD' });
    expect(config.remote.providers[0]).not.toHaveProperty('api_key');
    for (const { owner, container, pod } of allContainers(manifests)) {
      expect(container.envFrom, `${owner} ${container.name}`).toEqual([{ secretRef: { name: 'iprisk-secrets' } }]);
      expect(container.volumeMounts?.find((m) => m.name === 'secrets')).toEqual({ name: 'secrets', mountPath: '/var/run/secrets/iprisk', readOnly: true });
      expect(pod.volumes?.find((v) => v.name === 'secrets')).toEqual({ name: 'secrets', secret: { secretName: 'iprisk-secrets', defaultMode: 0o400 } });
    }
  });

  const SECRET = 'S3cr3t-never-in-a-configmap';
  const inline: [string, Record<string, unknown>][] = [
    ['kafka.sasl.password', { kafka: { brokers: ['k:9092'], sasl: { mechanism: 'plain', username: 'u', password: SECRET } } }],
    ['kafka.tls.key_password', { kafka: { brokers: ['k:9092'], tls: { key_password: SECRET } } }],
    ['schema_registry.password', { schema_registry: { url: 'http://r:8081', username: 'u', password: SECRET } }],
    ['remote.providers.0.api_key', { remote: { providers: [{ type: 'ipqs', api_key: SECRET }] } }],
    ['serve.api_keys', { serve: { api_keys: [SECRET] } }],
  ];
  for (const [where, config] of inline) {
    it(`given inline at config.${where}, stops the render, and the secret is printed nowhere`, async () => {
      const out = await template([valuesFile({ config })]);
      expect(out.code).not.toBe(0);
      expect(out.stderr).toContain(`config.${where} is given inline`);
      expect(out.stdout + out.stderr).not.toContain(SECRET);
    });
  }

  it('given by reference, reach the ConfigMap only as references, in every scenario', () => {
    const secretKey = /(^|_)password$|^api_key$|^api_keys$/;
    const found: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) node.forEach((child, i) => { walk(child, `${at}.${i}`); });
      else if (node !== null && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (secretKey.test(key)) found.push(`${at}.${key}=${JSON.stringify(value)}`);
          else walk(value, `${at}.${key}`);
        }
      }
    };
    for (const s of scenarios()) walk(parse(renderedConfigText(scenario(s.name))), s.name);
    expect(found.length).toBeGreaterThan(0);
    for (const entry of found) expect(entry).toMatch(/=\{"(env|file)":"[^"]+"\}$/);
  });
});

describe('probes', () => {
  it('of run: liveness /healthz and readiness /readyz on the http port the config names', async () => {
    const manifests = await render([scenarioFile('minimal'), valuesFile({ config: { http: { port: 9555 } } })]);
    const { container } = mainContainer(manifests, RELEASE, 'run');
    expect(container.args).toEqual(['run', '-c', CONFIG_FILE]);
    expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(container.startupProbe?.httpGet?.path).toBe('/healthz');
    for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
      expect(portOf(container, probe!.httpGet!.port)).toBe(9555);
    }
    expect((parse(renderedConfigText(manifests)) as { http: { port: number } }).http.port).toBe(9555);
    const service = one(manifests, 'Service', `${RELEASE}-metrics`) as Manifest & { spec: { ports: { port: number; targetPort: string }[] } };
    expect(service.spec.ports[0]).toMatchObject({ port: 9555, targetPort: 'http' });
  });

  it('of serve: /healthz and /readyz on --port, listening on 0.0.0.0', async () => {
    const manifests = await render([scenarioFile('sidecar'), valuesFile({ serve: { port: 8181 } })]);
    const { container } = mainContainer(manifests, `${RELEASE}-serve`, 'serve');
    expect(container.args).toEqual(['serve', '-c', CONFIG_FILE, '--host', '0.0.0.0', '--port', '8181']);
    expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(portOf(container, container.livenessProbe!.httpGet!.port)).toBe(8181);
    expect(portOf(container, container.readinessProbe!.httpGet!.port)).toBe(8181);
  });

  it('cannot target a port picked at random: http.port 0 is refused', async () => {
    const out = await template([valuesFile({ config: { http: { port: 0 } } })]);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('config.http.port: 0 picks a free port');
  });
});

describe('the index', () => {
  function argsOf(c: Container | undefined): string {
    return c?.args?.join(' ') ?? '';
  }

  it('is filled by an init container before run and serve start, in every scenario', () => {
    for (const s of scenarios()) {
      for (const deployment of ofKind(scenario(s.name), 'Deployment')) {
        const pod = podTemplateOf(deployment)!.spec;
        const init = pod.initContainers?.find((c) => c.name === 'index-init');
        expect(argsOf(init), `${s.name} ${deployment.metadata.name}`).toMatch(new RegExp(`^index (update|build) -c ${CONFIG_FILE} -o ${SNAPSHOT}`));
        expect(init?.volumeMounts?.find((m) => m.name === 'index')).toEqual({ name: 'index', mountPath: '/var/lib/iprisk' });
      }
    }
  });

  it('is built from local files with index.init.command build', async () => {
    const manifests = await render([scenarioFile('minimal'), valuesFile({ index: { init: { command: 'build' } } })]);
    const init = podTemplateOf(one(manifests, 'Deployment', RELEASE))!.spec.initContainers![0];
    expect(argsOf(init)).toBe(`index build -c ${CONFIG_FILE} -o ${SNAPSHOT}`);
  });

  it('refuses a config without sources: a pod would start on an empty index', async () => {
    const out = await template([valuesFile({ config: { sources: [] } })]);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('config.sources lists no feed');
  });

  it('with the CronJob, lives on one shared ReadWriteMany claim the CronJob updates and every pod mounts', () => {
    const manifests = scenario('production');
    const cron = one(manifests, 'CronJob', `${RELEASE}-index-update`) as Manifest & { spec: { schedule: string; concurrencyPolicy: string } };
    expect(cron.spec.schedule).toBe('17 */6 * * *');
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const job = podTemplateOf(cron)!.spec;
    expect(argsOf(job.containers[0])).toBe(`index update -c ${CONFIG_FILE} -o ${SNAPSHOT}`);
    const pvc = one(manifests, 'PersistentVolumeClaim', `${RELEASE}-index`) as Manifest & { spec: { accessModes: string[] } };
    expect(pvc.spec.accessModes).toEqual(['ReadWriteMany']);
    for (const pod of [job, ...ofKind(manifests, 'Deployment').map((d) => podTemplateOf(d)!.spec)]) {
      expect(pod.volumes?.find((v) => v.name === 'index')).toEqual({ name: 'index', persistentVolumeClaim: { claimName: `${RELEASE}-index` } });
    }
  });

  it('with the CronJob and an existing claim, uses that claim and creates none', async () => {
    const manifests = await render([scenarioFile('production'), valuesFile({ indexUpdate: { persistence: { existingClaim: 'feeds' } } })]);
    expect(ofKind(manifests, 'PersistentVolumeClaim')).toEqual([]);
    for (const m of [...ofKind(manifests, 'Deployment'), ...ofKind(manifests, 'CronJob')]) {
      expect(podTemplateOf(m)!.spec.volumes?.find((v) => v.name === 'index')).toEqual({ name: 'index', persistentVolumeClaim: { claimName: 'feeds' } });
    }
  });

  it('with the sidecar, is refreshed in each pod\'s own emptyDir and needs no CronJob or claim', () => {
    const manifests = scenario('sidecar');
    expect(ofKind(manifests, 'CronJob')).toEqual([]);
    expect(ofKind(manifests, 'PersistentVolumeClaim')).toEqual([]);
    for (const deployment of ofKind(manifests, 'Deployment')) {
      const pod = podTemplateOf(deployment)!.spec;
      expect(argsOf(pod.containers.find((c) => c.name === 'index-update'))).toBe(`index update -c ${CONFIG_FILE} -o ${SNAPSHOT} --every 1h`);
      expect(pod.volumes?.find((v) => v.name === 'index')).toHaveProperty('emptyDir');
    }
  });

  it('without indexUpdate, is filled once per pod and nothing refreshes it', () => {
    const manifests = scenario('minimal');
    expect(ofKind(manifests, 'CronJob')).toEqual([]);
    const pod = podTemplateOf(one(manifests, 'Deployment', RELEASE))!.spec;
    expect(pod.containers.map((c) => c.name)).toEqual(['run']);
  });
});

describe('scaling', () => {
  function replicasOf(manifests: readonly Manifest[]): unknown {
    return (one(manifests, 'Deployment', RELEASE).spec as Record<string, unknown>).replicas;
  }

  it('sets replicas from replicaCount without an autoscaler', () => {
    expect(replicasOf(scenario('minimal'))).toBe(2);
    expect(ofKind(scenario('minimal'), 'HorizontalPodAutoscaler')).toEqual([]);
    expect(ofKind(scenario('minimal'), 'ScaledObject')).toEqual([]);
  });

  it('leaves replicas to the HPA or KEDA when either is on', () => {
    expect(replicasOf(scenario('production'))).toBeUndefined();
    expect(ofKind(scenario('production'), 'HorizontalPodAutoscaler')).toHaveLength(1);
    expect(replicasOf(scenario('keda'))).toBeUndefined();
  });

  it('with KEDA: one kafka trigger per input topic, on the group and brokers of the config, with lagThreshold', () => {
    const [scaled] = ofKind(scenario('keda'), 'ScaledObject') as [Manifest & { spec: Record<string, unknown> }];
    expect(scaled.apiVersion).toBe('keda.sh/v1alpha1');
    expect(scaled.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: RELEASE });
    expect(scaled.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 12 });
    const triggers = scaled.spec.triggers as { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[];
    expect(triggers.map((t) => t.metadata.topic)).toEqual(['access-logs', 'auth-events']);
    for (const t of triggers) {
      expect(t.type).toBe('kafka');
      expect(t.metadata).toMatchObject({
        bootstrapServers: 'kafka-0.kafka:9092,kafka-1.kafka:9092',
        consumerGroup: 'iprisk-enrich',
        lagThreshold: '5000',
        activationLagThreshold: '10',
      });
      // KEDA reads metadata as strings only.
      for (const value of Object.values(t.metadata)) expect(typeof value).toBe('string');
      expect(t.authenticationRef).toEqual({ name: 'kafka-trigger-auth' });
    }
    expect(ofKind(scenario('keda'), 'HorizontalPodAutoscaler')).toEqual([]);
  });

  it('refuses the HPA and KEDA together, saying why', async () => {
    const out = await template([scenarioFile('keda'), valuesFile({ autoscaling: { enabled: true } })]);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('autoscaling.enabled and keda.enabled are both true');
  });

  it('has a PodDisruptionBudget per Deployment when enabled, and none when disabled', async () => {
    const production = scenario('production');
    const pdbs = ofKind(production, 'PodDisruptionBudget') as (Manifest & { spec: { maxUnavailable?: number; selector: { matchLabels: Record<string, string> } } })[];
    expect(pdbs.map((p) => p.metadata.name).sort()).toEqual([RELEASE, `${RELEASE}-serve`]);
    for (const pdb of pdbs) {
      expect(pdb.spec.maxUnavailable).toBe(1);
      const target = podTemplateOf(one(production, 'Deployment', pdb.metadata.name))!;
      expect(target.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    }
    const off = await render([scenarioFile('production'), valuesFile({ podDisruptionBudget: { enabled: false } })]);
    expect(ofKind(off, 'PodDisruptionBudget')).toEqual([]);
  });

  it('spreads pods with the selector of their own component when a constraint names none', () => {
    const pod = podTemplateOf(one(scenario('production'), 'Deployment', `${RELEASE}-serve`))!.spec;
    expect(pod.topologySpreadConstraints?.[0]).toMatchObject({
      topologyKey: 'topology.kubernetes.io/zone',
      labelSelector: { matchLabels: { 'app.kubernetes.io/component': 'serve', 'app.kubernetes.io/instance': RELEASE } },
    });
  });
});

describe('monitoring', () => {
  it('ServiceMonitor: scrapes /metrics on the http port of the run and serve Services, as job iprisk', () => {
    const manifests = scenario('production');
    const [monitor] = ofKind(manifests, 'ServiceMonitor') as [Manifest & { spec: Record<string, unknown> }];
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata.labels).toMatchObject({ release: 'prometheus' });
    expect(monitor.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }]);
    expect(monitor.spec.jobLabel).toBe('app.kubernetes.io/name');
    const selector = (monitor.spec.selector as { matchLabels: Record<string, string> }).matchLabels;
    const selected = ofKind(manifests, 'Service').filter((s) => Object.entries(selector).every(([k, v]) => s.metadata.labels?.[k] === v));
    expect(selected.map((s) => s.metadata.name).sort()).toEqual([`${RELEASE}-metrics`, `${RELEASE}-serve`]);
    for (const service of selected) {
      expect(service.metadata.labels?.['app.kubernetes.io/name']).toBe('iprisk');
      expect((service.spec as { ports: { name: string }[] }).ports.map((p) => p.name)).toContain('http');
    }
  });

  it('PrometheusRule: the groups of files/prometheus-rules.yaml, unchanged', () => {
    const [rule] = ofKind(scenario('production'), 'PrometheusRule') as [Manifest & { spec: { groups: unknown[] } }];
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata.labels).toMatchObject({ release: 'prometheus' });
    const file = parse(fs.readFileSync(rulesFile(), 'utf8')) as { groups: unknown[] };
    expect(file.groups.length).toBeGreaterThan(0);
    expect(rule.spec.groups).toEqual(file.groups);
  });

  it('Grafana dashboard: files/grafana-dashboard.json in a ConfigMap with the sidecar label', async () => {
    const manifests = scenario('production');
    const cm = one(manifests, 'ConfigMap', `${RELEASE}-dashboard`) as Manifest & { data: Record<string, string> };
    expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(cm.metadata.annotations).toEqual({ grafana_folder: 'Security' });
    expect(JSON.parse(cm.data['iprisk.json']!)).toEqual(JSON.parse(fs.readFileSync(dashboardFile(), 'utf8')));
    const relabelled = await render([scenarioFile('minimal'), valuesFile({ grafanaDashboard: { label: 'dashboards', labelValue: 'iprisk', namespace: 'monitoring' } })]);
    const moved = one(relabelled, 'ConfigMap', `${RELEASE}-dashboard`);
    expect(moved.metadata.labels).toMatchObject({ dashboards: 'iprisk' });
    expect(moved.metadata.labels).not.toHaveProperty('grafana_dashboard');
    expect(moved.metadata.namespace).toBe('monitoring');
  });

  it('none of them without their switch', () => {
    const minimal = scenario('minimal');
    expect(ofKind(minimal, 'ServiceMonitor')).toEqual([]);
    expect(ofKind(minimal, 'PrometheusRule')).toEqual([]);
  });
});
