import * as k8s from '@kubernetes/client-node';
import type { GlobalOptions, Service } from '../cli/args';
import { CliError, ExitCode } from '../cli/errors';
import { loadTarget, type Target } from './config';

/** The chart's labels (helm/saas-starter/templates/_helpers.tpl). */
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_NAME = 'app.kubernetes.io/name';

export interface Cluster extends Target {
  release: string;
  apps: k8s.AppsV1Api;
  core: k8s.CoreV1Api;
  batch: k8s.BatchV1Api;
  autoscaling: k8s.AutoscalingV2Api;
  /** Runs one API call, turning transport and HTTP failures into actionable CliErrors. */
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

export function connect(options: GlobalOptions): Cluster {
  const target = loadTarget(options);
  const timeoutMs = options.requestTimeout * 1000;
  const cluster: Cluster = {
    ...target,
    release: options.release,
    apps: target.kc.makeApiClient(k8s.AppsV1Api),
    core: target.kc.makeApiClient(k8s.CoreV1Api),
    batch: target.kc.makeApiClient(k8s.BatchV1Api),
    autoscaling: target.kc.makeApiClient(k8s.AutoscalingV2Api),
    async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'CLI_TIMEOUT' })), timeoutMs);
      });
      try {
        return await Promise.race([fn(), timeout]);
      } catch (err) {
        throw translate(err, what, cluster);
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return cluster;
}

function statusMessage(body: unknown): string | undefined {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() || undefined;
    }
  }
  const message = (value as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  return undefined;
}

function errorCode(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown; errno?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string') return e.code;
    if (typeof e.errno === 'string') return e.errno;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** Maps what the client library throws to a message a person can act on. */
export function translate(err: unknown, what: string, c: Pick<Cluster, 'server' | 'context' | 'namespace' | 'source'>): CliError {
  if (err instanceof CliError) return err;
  const where = `context "${c.context}" (${c.server})`;
  if (err instanceof k8s.ApiException) {
    const detail = statusMessage(err.body) ?? `HTTP ${err.code}`;
    switch (err.code) {
      case 401:
        return new CliError(
          `the API server at ${c.server} rejected the credentials of ${where} while trying to ${what}: ${detail}`,
          ExitCode.unreachable,
          'The kubeconfig user is not valid for this cluster: wrong --context, or an expired token/certificate.',
        );
      case 403:
        return new CliError(
          `RBAC denied: cannot ${what} in namespace "${c.namespace}" with ${where}: ${detail}`,
          ExitCode.forbidden,
          'Ask for a Role/RoleBinding that allows it (see k8s/cli/README.md for the verbs each command needs), or use a --context with more rights.',
        );
      case 404:
        return new CliError(`not found while trying to ${what} in namespace "${c.namespace}" (${where}): ${detail}`, ExitCode.notInstalled);
      default:
        return new CliError(`the API server refused to ${what} (HTTP ${err.code}): ${detail}`, ExitCode.failed);
    }
  }
  const code = errorCode(err);
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  if (code === 'CLI_TIMEOUT' || code === 'ETIMEDOUT' || code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ECONNRESET' || code === 'EAI_AGAIN') {
    return new CliError(
      `no cluster reachable at ${c.server} (${where}, from ${c.source}): ${code === 'CLI_TIMEOUT' ? 'no answer in time' : code}`,
      ExitCode.unreachable,
      'Is the cluster running? Locally: `bash k8s/cluster/control-plane.sh up`. Otherwise check --context / KUBECONFIG.',
    );
  }
  if (code && /CERT|SSL|TLS|SELF_SIGNED|ERR_OSSL/.test(code)) {
    return new CliError(
      `TLS failure talking to ${c.server} (${where}): ${code}: ${message}`,
      ExitCode.unreachable,
      'The kubeconfig\'s certificate-authority does not match this server: wrong --context, or a cluster that was re-created.',
    );
  }
  return new CliError(`failed to ${what} (${where}): ${message}`, ExitCode.failed);
}

export const deploymentName = (release: string, service: Service) => `${release}-${service}`;
export const serviceSelector = (release: string, service: Service) => `${LABEL_INSTANCE}=${release},${LABEL_COMPONENT}=${service}`;

/**
 * Finds the Deployment of one service by the chart's labels. Distinguishes "the chart is not installed
 * here" from "the chart is installed but this service is not".
 */
export async function findDeployment(c: Cluster, service: Service): Promise<k8s.V1Deployment> {
  const list = await c.call(`list deployments`, () =>
    c.apps.listNamespacedDeployment({ namespace: c.namespace, labelSelector: serviceSelector(c.release, service) }),
  );
  if (list.items.length > 0) {
    const byName = list.items.find((d) => d.metadata?.name === deploymentName(c.release, service));
    return byName ?? list.items[0];
  }
  await assertReleaseInstalled(c);
  throw new CliError(
    `release "${c.release}" in namespace "${c.namespace}" has no Deployment for service "${service}" (${LABEL_COMPONENT}=${service})`,
    ExitCode.notInstalled,
    `Is it disabled in the chart values? Check: kubectl get deploy -n ${c.namespace} -l ${LABEL_INSTANCE}=${c.release}`,
  );
}

export async function assertReleaseInstalled(c: Cluster): Promise<void> {
  const any = await c.call('list deployments', () =>
    c.apps.listNamespacedDeployment({ namespace: c.namespace, labelSelector: `${LABEL_INSTANCE}=${c.release}`, limit: 1 }),
  );
  if (any.items.length === 0) {
    throw new CliError(
      `the chart is not installed: no release "${c.release}" in namespace "${c.namespace}" of context "${c.context}" (${c.server})`,
      ExitCode.notInstalled,
      `Install it (helm install ${c.release} helm/saas-starter -n ${c.namespace} --create-namespace), or pass the right --release / --namespace / --context.`,
    );
  }
}

/** The HPAs in the namespace whose scaleTargetRef is this Deployment. */
export async function hpasFor(c: Cluster, deployment: k8s.V1Deployment): Promise<k8s.V2HorizontalPodAutoscaler[]> {
  const list = await c.call('list horizontalpodautoscalers', () =>
    c.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: c.namespace }),
  );
  return list.items.filter((h) => targets(h, deployment));
}

export function targets(h: k8s.V2HorizontalPodAutoscaler, deployment: k8s.V1Deployment): boolean {
  const ref = h.spec?.scaleTargetRef;
  return ref?.kind === 'Deployment' && ref.name === deployment.metadata?.name && (ref.apiVersion ?? 'apps/v1').startsWith('apps/');
}

export function selectorOf(deployment: k8s.V1Deployment): string {
  const labels = deployment.spec?.selector?.matchLabels ?? {};
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export async function podsOf(c: Cluster, deployment: k8s.V1Deployment): Promise<k8s.V1Pod[]> {
  const list = await c.call('list pods', () => c.core.listNamespacedPod({ namespace: c.namespace, labelSelector: selectorOf(deployment) }));
  return list.items;
}

/** metadata.name of an object read from the API (always set there). */
export const nameOf = (o: { metadata?: { name?: string } }): string => o.metadata?.name ?? '';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value or the deadline passes (used by --wait). */
export async function waitUntil<T>(timeoutSeconds: number, check: () => Promise<T | undefined>, onTimeout: () => string): Promise<T> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new CliError(onTimeout(), ExitCode.failed);
    await sleep(500);
  }
}

export function isPodReady(p: k8s.V1Pod): boolean {
  return !p.metadata?.deletionTimestamp && p.status?.phase === 'Running' && !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}
