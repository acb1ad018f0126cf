// The chart as a whole: it lints strictly, renders every ci/ scenario for Kubernetes 1.33, and
// every rendered object validates against the 1.33 API schemas (kubernetes-validate, strict:
// an unknown field is an error). The CRD kinds have no schema there; invariants.test.ts and the
// structural checks below look at them.
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KUBE_VERSION, ensureHelm, ensureKubernetesValidate, exec } from '../../helpers/helm.js';
import type { Manifest } from './support.js';
import { CHART, CRD_KINDS, HELM_HOOK_TIMEOUT_MS, ofKind, render, scenarios, template, valuesFile, writeScratch } from './support.js';

const VALIDATE_K8S = KUBE_VERSION.split('.').slice(0, 2).join('.');

let helm: string;
let validate: { file: string; args: string[] };

beforeAll(async () => {
  [helm, validate] = await Promise.all([ensureHelm(), ensureKubernetesValidate()]);
}, HELM_HOOK_TIMEOUT_MS);

describe('the chart helm/iprisk', () => {
  it('has the scenarios the chart promises: minimal and production at least', () => {
    const names = scenarios().map((s) => s.name);
    expect(names).toContain('minimal');
    expect(names).toContain('production');
  });

  for (const scenario of scenarios()) {
    describe(`scenario ${scenario.name}`, () => {
      it('passes helm lint --strict', async () => {
        const out = await exec(helm, ['lint', '--strict', CHART, '-f', scenario.file, '--kube-version', KUBE_VERSION]);
        expect(out.stderr + out.stdout).toContain('0 chart(s) failed');
        expect(out.code, out.stdout + out.stderr).toBe(0);
      });

      it(`renders, and every object validates against the Kubernetes ${VALIDATE_K8S} schemas`, async () => {
        const manifests = await render([scenario.file]);
        expect(ofKind(manifests, 'Deployment').length).toBeGreaterThan(0);
        const core = manifests.filter((m) => !CRD_KINDS.has(m.kind));
        const file = writeScratch(`${scenario.name}-k8s.yaml`, core.map((m) => stringify(m)).join('---\n'));
        const out = await exec(validate.file, [...validate.args, '--strict', '--quiet', '-k', VALIDATE_K8S, file]);
        expect(out.stdout + out.stderr).not.toMatch(/ERROR|did not validate/);
        expect(out.code, out.stdout + out.stderr).toBe(0);
      });
    });
  }

  it('kubernetes-validate rejects an unknown field, so a pass above means something', async () => {
    const [deployment] = ofKind(await render([]), 'Deployment') as [Manifest];
    const broken = { ...deployment, spec: { ...(deployment.spec as object), replicaz: 3 } };
    const file = writeScratch('broken-k8s.yaml', stringify(broken));
    const out = await exec(validate.file, [...validate.args, '--strict', '--quiet', '-k', VALIDATE_K8S, file]);
    expect(out.code).not.toBe(0);
    expect(out.stdout + out.stderr).toContain('replicaz');
  });

  describe('values.schema.json', () => {
    const wrong: [string, unknown][] = [
      ['replicaCount as a string', { replicaCount: 'three' }],
      // Not 'yes': Helm reads YAML 1.1, where a plain yes is a boolean.
      ['serve.enabled as a string', { serve: { enabled: 'sometimes' } }],
      ['image.pullPolicy outside its enum', { image: { pullPolicy: 'Sometimes' } }],
      ['keda.lagThreshold as a string', { keda: { lagThreshold: 'many' } }],
      ['indexUpdate.schedule as a number', { indexUpdate: { schedule: 5 } }],
      ['a misspelt top-level key', { replicas: 3 }],
      ['an unknown iprisk config section', { config: { kafak: { brokers: ['k:9092'] } } }],
    ];
    for (const [what, values] of wrong) {
      it(`fails helm template for ${what}`, async () => {
        const out = await template([valuesFile(values)]);
        expect(out.code).not.toBe(0);
        expect(out.stderr).toMatch(/values don't meet the specifications of the schema/);
      });
    }

    it('accepts the defaults alone', async () => {
      const out = await template([]);
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
    });
  });
});
