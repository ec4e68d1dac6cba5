/**
 * The Kubernetes manifests in docker/k8s: every YAML document validates against the Kubernetes
 * schemas (kubernetes-models: types, required fields, formats), the kustomization lists every
 * file, and what Kubernetes cannot know holds: each container's environment (ConfigMap, Secret,
 * $(VAR) expansion) is a valid engine configuration, the grace period outlasts the lease and the
 * shutdown, the probes hit the operations routes on PORT, and every reference and selector finds
 * its object. Bad manifests built in memory fail each check.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../common/index.js';

const DIR = resolve(import.meta.dirname, '../../docker/k8s');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** The schema of each kind the folder uses; any other kind fails (no schema to check it against). */
const MODELS: Record<string, (data: Manifest) => { validate(): void }> = {
  'v1/Namespace': (data) => new Namespace(data),
  'v1/ConfigMap': (data) => new ConfigMap(data),
  'v1/Secret': (data) => new Secret(data),
  'v1/Service': (data) => new Service(data),
  'apps/v1/Deployment': (data) => new Deployment(data),
  'policy/v1/PodDisruptionBudget': (data) => new PodDisruptionBudget(data),
};

function validate(manifest: Manifest): void {
  const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!model) throw new Error(`no Kubernetes schema for ${manifest.apiVersion} ${manifest.kind}`);
  model(manifest).validate();
}

function kustomization(): { resources: string[] } {
  return parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
}

function loadManifests(): Manifest[] {
  return kustomization().resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
      return document.toJS() as Manifest;
    }),
  );
}

type Deploy = Manifest & {
  spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: IPodSpec } };
};

const byKind = <T extends Manifest>(manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind) as T[];
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The container's environment as Kubernetes builds it: envFrom first, then env in order, $(VAR) expanded. */
function environmentOf(container: IContainer, manifests: Manifest[], podName: string): Record<string, string> {
  const env: Record<string, string> = {};
  const find = (kind: string, name: string) => {
    const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
    if (!found) throw new Error(`${container.name}: no ${kind} ${name}`);
    return { ...(found['data'] as Record<string, string> | undefined), ...(found['stringData'] as Record<string, string> | undefined) };
  };
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, find('ConfigMap', source.configMapRef.name ?? ''));
    if (source.secretRef) Object.assign(env, find('Secret', source.secretRef.name ?? ''));
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    let value: string | undefined;
    if (variable.value !== undefined) value = variable.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
    else if (from?.fieldRef?.fieldPath === 'metadata.name') value = podName;
    else if (from?.secretKeyRef) value = find('Secret', from.secretKeyRef.name ?? '')[from.secretKeyRef.key];
    else if (from?.configMapKeyRef) value = find('ConfigMap', from.configMapKeyRef.name ?? '')[from.configMapKeyRef.key];
    if (value === undefined) throw new Error(`${container.name}: ${variable.name} resolves to nothing`);
    env[variable.name] = value;
  }
  return env;
}

/** What Kubernetes' schemas cannot see, per Deployment; empty when all holds. */
function deploymentProblems(manifests: Manifest[]): string[] {
  const problems: string[] = [];
  const deployments = byKind<Deploy>(manifests, 'Deployment');
  for (const deployment of deployments) {
    const name = deployment.metadata.name;
    const pod = deployment.spec.template.spec;
    if (!matches(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)) problems.push(`${name}: selector misses its pods`);
    for (const container of pod.containers) {
      let config: ReturnType<typeof loadConfig>;
      try {
        const env = environmentOf(container, manifests, `${name}-7d9c8b6f5d-x2x4z`);
        if (/\$\(/.test(Object.values(env).join())) problems.push(`${name}: an unexpanded $(VAR)`);
        config = loadConfig([], env);
      } catch (error) {
        problems.push(`${name}: ${(error as Error).message}`);
        continue;
      }
      const graceMs = (pod.terminationGracePeriodSeconds ?? 30) * 1000;
      const preStop = container.lifecycle?.preStop?.exec?.command;
      const pauseMs = preStop?.[0] === 'sleep' ? Number(preStop[1]) * 1000 : 0;
      if (graceMs <= config.leaseTtlMs) problems.push(`${name}: grace period ${graceMs} ms is not longer than the lease (${config.leaseTtlMs} ms)`);
      if (graceMs <= pauseMs + config.shutdownTimeoutMs)
        problems.push(`${name}: grace period ${graceMs} ms cuts the shutdown (${pauseMs} + ${config.shutdownTimeoutMs} ms)`);
      const port = container.ports?.find((p) => p.containerPort === config.port);
      if (!port?.name) problems.push(`${name}: no named container port for PORT ${config.port}`);
      for (const [probe, path] of [
        ['livenessProbe', '/health'],
        ['readinessProbe', '/ready'],
        ['startupProbe', '/health'],
      ] as const) {
        const get = container[probe]?.httpGet;
        if (get?.path !== path || (get.port !== port?.name && get.port !== config.port)) problems.push(`${name}: ${probe} is not GET ${path} on PORT`);
      }
      if (!container.resources?.requests || !container.resources.limits) problems.push(`${name}: resource requests and limits`);
      if (config.host === '127.0.0.1') problems.push(`${name}: HOST is loopback; nothing outside the pod reaches it`);
    }
  }
  const pods = deployments.map((d) => d.spec.template.metadata.labels);
  for (const kind of ['PodDisruptionBudget', 'Service']) {
    for (const m of byKind(manifests, kind)) {
      const spec = m['spec'] as { selector: Record<string, string> & { matchLabels?: Record<string, string> } };
      const selector = spec.selector.matchLabels ?? spec.selector;
      if (!pods.some((labels) => matches(selector, labels))) problems.push(`${kind} ${m.metadata.name}: selects no Deployment's pods`);
    }
  }
  for (const deployment of deployments) {
    const labels = deployment.spec.template.metadata.labels;
    if (
      !byKind(manifests, 'PodDisruptionBudget').some((m) =>
        matches((m['spec'] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels, labels),
      )
    ) {
      problems.push(`${deployment.metadata.name}: no PodDisruptionBudget`);
    }
  }
  return problems;
}

/** A copy of the manifests with one field of one object set (or removed, with `undefined`). */
function withChange(manifests: Manifest[], kind: string, name: string, path: Array<string | number>, value: unknown): Manifest[] {
  const copy = structuredClone(manifests);
  let node: unknown = copy.find((m) => m.kind === kind && m.metadata.name === name);
  for (const step of path.slice(0, -1)) node = (node as Record<string | number, unknown> | undefined)?.[step];
  if (node === null || typeof node !== 'object') throw new Error(`no ${path.join('.')} in ${kind} ${name}`);
  const last = path[path.length - 1]!;
  if (value === undefined) delete (node as Record<string | number, unknown>)[last];
  else (node as Record<string | number, unknown>)[last] = value;
  return copy;
}

describe('docker/k8s manifests', () => {
  const manifests = loadManifests();

  it('the kustomization lists every manifest file of the folder', () => {
    const files = readdirSync(DIR).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
    expect([...kustomization().resources].sort()).toEqual(files.sort());
  });

  it('has API and worker Deployments, a Service, disruption budgets, a ConfigMap and a Secret', () => {
    const kinds = manifests.map((m) => `${m.kind}/${m.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Deployment/journey-engine-api',
        'Service/journey-engine-api',
        'PodDisruptionBudget/journey-engine-api',
        'Deployment/journey-engine-worker-pfm-wallet-1-0',
        'PodDisruptionBudget/journey-engine-worker-pfm-wallet-1-0',
        'ConfigMap/journey-engine-config',
        'Secret/journey-engine-secrets',
      ]),
    );
  });

  it('every document validates against the Kubernetes schema of its kind', () => {
    for (const manifest of manifests) expect(() => validate(manifest), `${manifest.kind} ${manifest.metadata.name}`).not.toThrow();
  });

  it('a document the schema refuses fails validation', () => {
    const api = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === 'journey-engine-api');
    if (!api) throw new Error('no API Deployment');
    const containers = ['spec', 'template', 'spec', 'containers'];
    const portAsText = withChange([api], 'Deployment', 'journey-engine-api', [...containers, 0, 'ports', 0, 'containerPort'], '3000');
    expect(() => validate(portAsText[0]!)).toThrow(/containerPort must be integer/);
    const noContainers = withChange([api], 'Deployment', 'journey-engine-api', containers, undefined);
    expect(() => validate(noContainers[0]!)).toThrow(/containers/);
    const badBudget = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'x' }, spec: { maxUnavailable: true } } as Manifest;
    expect(() => validate(badBudget)).toThrow(/maxUnavailable/);
    expect(() => validate({ ...api, apiVersion: 'extensions/v1beta1' })).toThrow(/no Kubernetes schema/);
  });

  it("each node's environment is a valid engine configuration, with the roles its Deployment says", () => {
    expect(deploymentProblems(manifests)).toEqual([]);
    const roles = byKind<Deploy>(manifests, 'Deployment').map((d) => {
      const container = d.spec.template.spec.containers[0]!;
      return [d.metadata.name, loadConfig([], environmentOf(container, manifests, 'pod')).roles];
    });
    expect(Object.fromEntries(roles)).toEqual({ 'journey-engine-api': ['api'], 'journey-engine-worker-pfm-wallet-1-0': ['worker'] });
  });

  it('finds a grace period within the lease, a bad setting, a wrong probe, a dangling reference and a stray selector', () => {
    const longLease = withChange(manifests, 'ConfigMap', 'journey-engine-config', ['data', 'LEASE_TTL_MS'], '60000');
    expect(deploymentProblems(longLease)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^journey-engine-api: grace period 30000 ms is not longer than the lease/)]),
    );
    const badSetting = withChange(manifests, 'ConfigMap', 'journey-engine-config', ['data', 'PARTITIONS'], 'many');
    expect(deploymentProblems(badSetting)).toEqual(expect.arrayContaining([expect.stringMatching(/PARTITIONS/)]));
    const readiness = ['spec', 'template', 'spec', 'containers', 0, 'readinessProbe', 'httpGet', 'path'];
    const probe = withChange(manifests, 'Deployment', 'journey-engine-worker-pfm-wallet-1-0', readiness, '/health');
    expect(deploymentProblems(probe)).toEqual(['journey-engine-worker-pfm-wallet-1-0: readinessProbe is not GET /ready on PORT']);
    const dangling = withChange(manifests, 'Secret', 'journey-engine-secrets', ['metadata', 'name'], 'other');
    expect(deploymentProblems(dangling)).toEqual(expect.arrayContaining([expect.stringMatching(/no Secret journey-engine-secrets/)]));
    const stray = withChange(manifests, 'Service', 'journey-engine-api', ['spec', 'selector', 'app.kubernetes.io/component'], 'edge');
    expect(deploymentProblems(stray)).toEqual(["Service journey-engine-api: selects no Deployment's pods"]);
  });
});
