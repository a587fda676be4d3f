/**
 * The tools the chart tests drive: the pinned helm CLI and kubecheck (both built from k8s/helm-tools by
 * k8s/helm-tools/build.sh), the env contract (tools/env-contract.ts) and the kubernetes-models
 * validators (run in a child process: the package is ESM-only).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAll } from 'js-yaml';

export const ROOT = resolve(__dirname, '../../..');
export const CHART = join(ROOT, 'helm/saas-starter');
export const VALUES_DIR = join(ROOT, 'helm/tests/values');
export const BIN = process.env.HELM_TOOLS_BIN ?? join(ROOT, '.local/tools/bin');
export const HELM = join(BIN, 'helm');
export const KUBECHECK = join(BIN, 'kubecheck');
export const RELEASE = 'saas';
export const NAMESPACE = 'saas-test';

/**
 * The project's one Kubernetes version: k8s.io/kubernetes in k8s/cluster/go.mod (the control plane and
 * kubecheck are built from that module): passed as --kube-version everywhere.
 */
export const KUBE_VERSION = (() => {
  const gomod = readFileSync(join(ROOT, 'k8s/cluster/go.mod'), 'utf8');
  const match = /^\s*k8s\.io\/kubernetes v(\d+\.\d+\.\d+)\s*$/m.exec(gomod);
  if (!match) throw new Error('k8s/cluster/go.mod does not pin k8s.io/kubernetes');
  return match[1];
})();

export const APPS = ['auth', 'catalog', 'media', 'profile'] as const;
export type App = (typeof APPS)[number];

function run(cmd: string, args: string[], input?: string): SpawnSyncReturns<string> {
  const result = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return result;
}

export function ensureTools(): { built: boolean } {
  const check = run('bash', ['k8s/helm-tools/build.sh', '--check']);
  if (check.status === 0) return { built: false };
  const build = spawnSync('bash', ['k8s/helm-tools/build.sh'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (build.status !== 0) throw new Error(`k8s/helm-tools/build.sh failed (exit ${build.status})`);
  return { built: true };
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function helm(args: string[]): HelmResult {
  const result = run(HELM, args);
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** A value set: files under helm/tests/values (or the chart's own values-production.yaml) plus --set pairs. */
export interface ValueSet {
  files?: string[];
  set?: string[];
}

export function valuesArgs(values: ValueSet = {}): string[] {
  return [...(values.files ?? []).flatMap((file) => ['-f', file]), ...(values.set ?? []).flatMap((pair) => ['--set', pair])];
}

export function template(values: ValueSet = {}): HelmResult {
  return helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, '--kube-version', KUBE_VERSION, ...valuesArgs(values)]);
}

export function lint(values: ValueSet = {}): HelmResult {
  return helm(['lint', CHART, '--strict', '--kube-version', KUBE_VERSION, ...valuesArgs(values)]);
}

// ---------------------------------------------------------------------------------------------
// Rendered objects
// ---------------------------------------------------------------------------------------------
/* eslint-disable @typescript-eslint/no-explicit-any */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> } } & Record<string, any>;

export function parseManifests(yaml: string): K8sObject[] {
  return (loadAll(yaml) as (K8sObject | null)[]).filter((doc): doc is K8sObject => !!doc && typeof doc === 'object');
}

/** helm template for a value set; throws with helm's message when it fails. */
export function render(values: ValueSet = {}): K8sObject[] {
  const result = template(values);
  if (result.status !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
export const find = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
export const component = (o: K8sObject): string | undefined => o.metadata.labels?.['app.kubernetes.io/component'];

/** Workloads with a pod template, and the template. */
export function podTemplates(objects: K8sObject[]): { owner: K8sObject; template: any }[] {
  const out: { owner: K8sObject; template: any }[] = [];
  for (const o of objects) {
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(o.kind)) out.push({ owner: o, template: o.spec.template });
    else if (o.kind === 'CronJob') out.push({ owner: o, template: o.spec.jobTemplate.spec.template });
    else if (o.kind === 'Pod') out.push({ owner: o, template: { metadata: o.metadata, spec: o.spec } });
  }
  return out;
}

export function containersOf(podSpec: any): { container: any; init: boolean }[] {
  return [
    ...((podSpec.initContainers ?? []) as any[]).map((container) => ({ container, init: true })),
    ...((podSpec.containers ?? []) as any[]).map((container) => ({ container, init: false })),
  ];
}

/** Does a LabelSelector (matchLabels + matchExpressions) select these labels? */
export function selects(selector: any, labels: Record<string, string> = {}): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const expr of (selector.matchExpressions ?? []) as { key: string; operator: string; values?: string[] }[]) {
    const has = Object.prototype.hasOwnProperty.call(labels, expr.key);
    const ok =
      expr.operator === 'In' ? has && (expr.values ?? []).includes(labels[expr.key])
      : expr.operator === 'NotIn' ? !has || !(expr.values ?? []).includes(labels[expr.key])
      : expr.operator === 'Exists' ? has
      : expr.operator === 'DoesNotExist' ? !has
      : false;
    if (!ok) return false;
  }
  return true;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

// ---------------------------------------------------------------------------------------------
// Validators
// ---------------------------------------------------------------------------------------------
export interface KubecheckReport {
  kubernetesVersion: string;
  objects: { kind: string; apiVersion: string; name: string; known: boolean; strict: string[]; podSecurity: string[] }[];
}

/** Strict decoding against the pinned k8s.io/api types + Pod Security "restricted" (k8s/helm-tools/kubecheck). */
export function kubecheck(yaml: string): KubecheckReport {
  const result = run(KUBECHECK, [], yaml);
  if (result.status !== 0) throw new Error(`kubecheck failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as KubecheckReport;
}

export interface ModelReport {
  version: string;
  results: { kind: string; apiVersion: string; name: string; model: boolean; errors: string[] }[];
}

/** JSON-schema validation of each object with the pinned kubernetes-models package (types, required fields, enums, formats). */
export function validateModels(objects: K8sObject[]): ModelReport {
  const result = run(process.execPath, [join(__dirname, 'validate-models.mjs')], JSON.stringify(objects));
  if (result.status !== 0) throw new Error(`validate-models.mjs failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as ModelReport;
}

// ---------------------------------------------------------------------------------------------
// The apps' environment contract: the one source of truth for env names
// ---------------------------------------------------------------------------------------------
export type EnvContract = Record<App, { required: string[]; all: string[] }>;

let contract: EnvContract | undefined;
export function envContract(): EnvContract {
  if (contract) return contract;
  const result = spawnSync(process.execPath, ['-r', '@swc-node/register', 'tools/env-contract.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, SWC_NODE_PROJECT: 'tools/tsconfig.json' },
  });
  if (result.status !== 0) throw new Error(`tools/env-contract.ts failed:\n${result.stderr}`);
  contract = JSON.parse(result.stdout) as EnvContract;
  for (const app of APPS) if (!contract[app]?.required?.length) throw new Error(`env contract has no required names for ${app}`);
  return contract;
}

// ---------------------------------------------------------------------------------------------
// The value sets every suite renders: each file in helm/tests/values, plus the production example.
// ---------------------------------------------------------------------------------------------
export const PRODUCTION_VALUES = join(CHART, 'values-production.yaml');

export function valueSets(): Record<string, ValueSet> {
  const sets: Record<string, ValueSet> = {};
  for (const file of readdirSync(VALUES_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    sets[file.replace(/\.yaml$/, '')] = { files: [join(VALUES_DIR, file)] };
  }
  sets.production = { files: [PRODUCTION_VALUES] };
  return sets;
}
