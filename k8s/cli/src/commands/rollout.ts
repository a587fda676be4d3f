import * as k8s from '@kubernetes/client-node';
import type { Service } from '../cli/args';
import { CliError, ExitCode } from '../cli/errors';
import { nameOf, type Cluster, findDeployment, selectorOf } from '../kube/cluster';
import { watchUntil } from '../kube/watch';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** RFC 3339 without fractions, like kubectl's time.Now().Format(time.RFC3339). */
export const restartStamp = (now = new Date()) => now.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * `kubectl rollout restart`: a strategic merge patch that sets the pod template annotation
 * kubectl.kubernetes.io/restartedAt. The template changes, so the Deployment controller rolls out a new
 * ReplicaSet with the usual maxSurge/maxUnavailable.
 */
export async function rolloutRestart(
  c: Cluster,
  opts: { service: Service; wait: boolean; timeout: number },
  print: (s: string) => void,
): Promise<void> {
  const d = await findDeployment(c, opts.service);
  const name = nameOf(d);
  if (d.spec?.paused) {
    throw new CliError(`deployment/${name} is paused; a restart would not roll out`, ExitCode.failed, `Resume it first: kubectl rollout resume deployment/${name} -n ${c.namespace}`);
  }
  const stamp = restartStamp();
  const patched = await c.call(`patch deployment ${name}`, () =>
    c.apps.patchNamespacedDeployment(
      { name, namespace: c.namespace, body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: stamp } } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    ),
  );
  const generation = patched.metadata?.generation ?? 0;
  const replicas = patched.spec?.replicas ?? 0;
  const strategy = patched.spec?.strategy?.rollingUpdate;
  print(`restarted deployment/${name} (${RESTARTED_AT}=${stamp}, generation ${generation})`);
  print('');
  print('watch:    npm run k8s -- status');
  print(`          kubectl rollout status deployment/${name} -n ${c.namespace};  kubectl get pods -n ${c.namespace} -l ${selectorOf(d)} -w`);
  print(
    `expect:   a new ReplicaSet; pods are replaced ${String(strategy?.maxSurge ?? '25%')} surge / ${String(strategy?.maxUnavailable ?? '25%')} unavailable at a time: each new pod must pass readiness before an old one gets SIGTERM, fails readiness, drains and exits. UPDATED climbs to ${replicas}; a client hammering the Service sees zero failed requests.`,
  );
  if (!opts.wait) return;
  const t0 = Date.now();
  let lastLine = '';
  await watchUntil<k8s.V1Deployment, true>(c, {
    path: `/apis/apps/v1/namespaces/${c.namespace}/deployments`,
    list: () => c.apps.listNamespacedDeployment({ namespace: c.namespace, fieldSelector: `metadata.name=${name}` }),
    timeoutSeconds: opts.timeout,
    onChange: (items) => {
      const x = items.find((i) => i.metadata?.name === name);
      const s = x?.status;
      if ((s?.observedGeneration ?? 0) < generation) return; // the controller has not seen the restart yet
      const line = `progress: ${s?.updatedReplicas ?? 0}/${x?.spec?.replicas ?? 0} updated, ${s?.readyReplicas ?? 0} ready, ${s?.availableReplicas ?? 0} available, ${s?.replicas ?? 0} total`;
      if (line !== lastLine) print((lastLine = line));
    },
    // The same test as `kubectl rollout status`.
    check: (items) => {
      const x = items.find((i) => i.metadata?.name === name);
      const s = x?.status;
      if (!x || !s || (s.observedGeneration ?? 0) < generation) return undefined;
      const want = x.spec?.replicas ?? 0;
      const cond = s.conditions?.find((k) => k.type === 'Progressing');
      if (cond?.reason === 'ProgressDeadlineExceeded') throw new CliError(`rollout of deployment/${name} exceeded its progress deadline: ${cond.message}`, ExitCode.failed);
      return (s.updatedReplicas ?? 0) >= want && (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) && (s.availableReplicas ?? 0) >= want ? true : undefined;
    },
    onTimeout: () => `rollout of deployment/${name} not finished within ${opts.timeout}s (${lastLine})`,
  });
  print(`done:     deployment/${name} rolled out in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}
