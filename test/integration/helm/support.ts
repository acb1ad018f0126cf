import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { KUBE_VERSION, ensureHelm, exec } from '../../helpers/helm.js';
import type { ExecResult } from '../../helpers/helm.js';
import { REPO_ROOT } from '../../helpers/paths.js';

export const CHART = path.join(REPO_ROOT, 'helm', 'iprisk');
export const CI_DIR = path.join(CHART, 'ci');
export const RELEASE = 'iprisk';
export const NAMESPACE = 'security';

/** Generous: the first call may build Helm from source (about 2.5 min cold on 2 cores). */
export const HELM_HOOK_TIMEOUT_MS = 25 * 60_000;

/** Every `helm/iprisk/ci/*-values.yaml` scenario by name (`minimal`, `production`, ...). */
export function scenarios(): { name: string; file: string }[] {
  return fs
    .readdirSync(CI_DIR)
    .filter((f) => f.endsWith('-values.yaml'))
    .sort()
    .map((f) => ({ name: f.replace(/-values\.yaml$/, ''), file: path.join(CI_DIR, f) }));
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  securityContext?: Record<string, unknown>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  envFrom?: { secretRef?: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface PodSpec {
  initContainers?: Container[];
  containers: Container[];
  securityContext?: Record<string, unknown>;
  volumes?: ({ name: string } & Record<string, unknown>)[];
  topologySpreadConstraints?: Record<string, unknown>[];
}

export interface PodTemplate {
  metadata: { annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: PodSpec;
}

/** The rendered documents, every one a Kubernetes object. */
export function parseManifests(text: string): Manifest[] {
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const m = value as Partial<Manifest>;
    if (typeof m.apiVersion !== 'string' || typeof m.kind !== 'string' || typeof m.metadata?.name !== 'string') {
      throw new Error(`a rendered document is not a Kubernetes object: ${JSON.stringify(value).slice(0, 200)}`);
    }
    out.push(m as Manifest);
  }
  return out;
}

let scratch: string | undefined;

/** A temporary file holding `values` as YAML, removed when the process exits. */
export function valuesFile(values: unknown): string {
  scratch ??= fs.mkdtempSync(path.join(os.tmpdir(), 'iprisk-helm-'));
  const dir = scratch;
  process.once('exit', () => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const file = path.join(dir, `values-${fs.readdirSync(dir).length}.yaml`);
  fs.writeFileSync(file, stringify(values));
  return file;
}

export function writeScratch(name: string, text: string): string {
  valuesFile({});
  const file = path.join(scratch!, name);
  fs.writeFileSync(file, text);
  return file;
}

/** `helm template` of the chart with these values files (later ones win), for Kubernetes 1.33. */
export async function template(valueFiles: readonly string[], extra: readonly string[] = []): Promise<ExecResult> {
  const helm = await ensureHelm();
  return exec(helm, [
    'template',
    RELEASE,
    CHART,
    '--namespace',
    NAMESPACE,
    '--kube-version',
    KUBE_VERSION,
    ...valueFiles.flatMap((f) => ['-f', f]),
    ...extra,
  ]);
}

/** Renders and parses; a failing render fails the test with helm's message. */
export async function render(valueFiles: readonly string[], extra: readonly string[] = []): Promise<Manifest[]> {
  const result = await template(valueFiles, extra);
  if (result.code !== 0) throw new Error(`helm template failed (exit ${result.code}):\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export function scenarioFile(name: string): string {
  const found = scenarios().find((s) => s.name === name);
  if (!found) throw new Error(`no scenario helm/iprisk/ci/${name}-values.yaml`);
  return found.file;
}

export function ofKind(manifests: readonly Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}

export function one(manifests: readonly Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`);
  return found;
}

/** The pod template of a Deployment, a CronJob (through its job template) or a Job. */
export function podTemplateOf(m: Manifest): PodTemplate | undefined {
  const spec = m.spec as Record<string, unknown> | undefined;
  if (m.kind === 'Deployment' || m.kind === 'StatefulSet' || m.kind === 'DaemonSet' || m.kind === 'Job') return spec?.template as PodTemplate;
  if (m.kind === 'CronJob') return ((spec?.jobTemplate as { spec: { template: PodTemplate } }).spec.template);
  return undefined;
}

/** Every container of every pod template, init containers included, with where it is. */
export function allContainers(manifests: readonly Manifest[]): { owner: string; container: Container; pod: PodSpec }[] {
  const out: { owner: string; container: Container; pod: PodSpec }[] = [];
  for (const m of manifests) {
    const pod = podTemplateOf(m)?.spec;
    if (!pod) continue;
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) out.push({ owner: `${m.kind}/${m.metadata.name}`, container: c, pod });
  }
  return out;
}

/** The iprisk configuration the chart rendered into its ConfigMap. */
export function renderedConfigText(manifests: readonly Manifest[]): string {
  const cm = one(manifests, 'ConfigMap', RELEASE) as Manifest & { data: Record<string, string> };
  const text = cm.data['iprisk.yaml'];
  if (text === undefined) throw new Error('the ConfigMap has no iprisk.yaml');
  return text;
}

/** Kinds that come from CRDs: kubernetes-validate has no schema for them. */
export const CRD_KINDS = new Set(['ScaledObject', 'ServiceMonitor', 'PrometheusRule']);

export function rulesFile(): string {
  return path.join(CHART, 'files', 'prometheus-rules.yaml');
}

export function dashboardFile(): string {
  return path.join(CHART, 'files', 'grafana-dashboard.json');
}
