import * as k8s from '@kubernetes/client-node';
import type { Service } from '../cli/args';
import { CliError, ExitCode } from '../cli/errors';
import { nameOf, type Cluster, findDeployment, hpasFor, selectorOf } from '../kube/cluster';
import { watchUntil } from '../kube/watch';

/**
 * Scales through the Deployment's `scale` subresource (what `kubectl scale` does), with a JSON merge
 * patch: the body is only {"spec":{"replicas":n}}, so nothing else in the Deployment is touched and RBAC
 * can grant `patch deployments/scale` alone. (Replacing the whole Deployment, or sending a Scale object
 * with the default JSON-patch content type, are the mistakes of kubernetes-client/javascript#732.)
 */
export async function scale(
  c: Cluster,
  opts: { service: Service; replicas: number; force: boolean; wait: boolean; timeout: number },
  print: (s: string) => void,
): Promise<void> {
  const d = await findDeployment(c, opts.service);
  const name = nameOf(d);
  const hpas = await hpasFor(c, d);
  if (hpas.length > 0 && !opts.force) {
    const h = hpas[0];
    throw new CliError(
      `refusing to scale ${name}: HorizontalPodAutoscaler ${h.metadata?.name} manages it (min ${h.spec?.minReplicas ?? 1}, max ${h.spec?.maxReplicas}, now ${h.status?.desiredReplicas ?? '?'}); it would undo a manual scale within its next sync`,
      ExitCode.refused,
      `Change the HPA instead (kubectl patch hpa ${h.metadata?.name} -n ${c.namespace} -p '{"spec":{"minReplicas":${opts.replicas}}}'), or pass --force to scale anyway and watch the HPA take over.`,
    );
  }
  const before = await c.call(`read deployments/scale ${name}`, () => c.apps.readNamespacedDeploymentScale({ name, namespace: c.namespace }));
  const from = before.spec?.replicas ?? 0;
  const after = await c.call(`patch deployments/scale ${name}`, () =>
    c.apps.patchNamespacedDeploymentScale(
      { name, namespace: c.namespace, body: { spec: { replicas: opts.replicas } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    ),
  );
  print(`scaled deployment/${name}: ${from} → ${after.spec?.replicas} replicas (scale subresource)`);
  if (hpas.length > 0) {
    print(`warning: HPA ${hpas[0].metadata?.name} still manages ${name}; it will move replicas back into [${hpas[0].spec?.minReplicas ?? 1}, ${hpas[0].spec?.maxReplicas}] as its metrics dictate`);
  }
  print('');
  print('watch:    npm run k8s -- status');
  print(`          kubectl get deploy ${name} -n ${c.namespace} -w;  kubectl get pods -n ${c.namespace} -l ${selectorOf(d)} -w`);
  print(
    opts.replicas > from
      ? `expect:   ${opts.replicas - from} new pod(s) Pending → ContainerCreating → Running; READY reaches ${opts.replicas} once their readiness probes pass; the Service spreads requests over all ${opts.replicas} (see the x-served-by header).`
      : opts.replicas < from
        ? `expect:   ${from - opts.replicas} pod(s) Terminating: they fail readiness, leave the Service, drain in-flight requests and exit; no failed requests.`
        : 'expect:   nothing changes: the Deployment already has that many replicas.',
  );
  if (!opts.wait) return;
  const t0 = Date.now();
  await watchUntil<k8s.V1Deployment, true>(c, {
    path: `/apis/apps/v1/namespaces/${c.namespace}/deployments`,
    list: () => c.apps.listNamespacedDeployment({ namespace: c.namespace, fieldSelector: `metadata.name=${name}` }),
    timeoutSeconds: opts.timeout,
    check: (items) => {
      const s = items.find((x) => x.metadata?.name === name)?.status;
      const total = s?.replicas ?? 0;
      return (s?.readyReplicas ?? 0) === opts.replicas && total === opts.replicas && (s?.updatedReplicas ?? 0) === opts.replicas ? true : undefined;
    },
    onTimeout: (items) => {
      const s = items.find((x) => x.metadata?.name === name)?.status;
      return `deployment/${name} did not reach ${opts.replicas} ready replicas within ${opts.timeout}s (replicas ${s?.replicas ?? 0}, ready ${s?.readyReplicas ?? 0})`;
    },
  });
  print(`ready:    ${opts.replicas}/${opts.replicas} replicas ready after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}
