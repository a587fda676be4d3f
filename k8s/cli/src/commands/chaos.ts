import * as k8s from '@kubernetes/client-node';
import type { Service } from '../cli/args';
import { CliError, ExitCode } from '../cli/errors';
import { assertReleaseInstalled, type Cluster, findDeployment, isPodReady, nameOf, LABEL_COMPONENT, LABEL_INSTANCE, podsOf, selectorOf } from '../kube/cluster';
import { watchUntil } from '../kube/watch';

/** Component labels the chart may give the Postgres read replica (first match wins). */
export const DB_REPLICA_COMPONENTS = ['postgres-replica', 'postgresql-replica', 'db-replica'];

async function deletePod(c: Cluster, pod: k8s.V1Pod, now: boolean): Promise<void> {
  const name = nameOf(pod);
  await c.call(`delete pod ${name}`, () =>
    c.core.deleteNamespacedPod({ name, namespace: c.namespace, gracePeriodSeconds: now ? 0 : undefined }),
  );
}

export async function killPod(
  c: Cluster,
  opts: { service: Service; pod?: string; now: boolean; wait: boolean; timeout: number },
  print: (s: string) => void,
): Promise<void> {
  const d = await findDeployment(c, opts.service);
  const name = nameOf(d);
  const pods = (await podsOf(c, d)).filter((p) => !p.metadata?.deletionTimestamp);
  let victim: k8s.V1Pod | undefined;
  if (opts.pod) {
    victim = pods.find((p) => p.metadata?.name === opts.pod);
    if (!victim) {
      throw new CliError(
        `pod "${opts.pod}" is not a live pod of deployment/${name}`,
        ExitCode.usage,
        `Its pods: ${pods.map((p) => p.metadata?.name).join(', ') || 'none'}.`,
      );
    }
  } else {
    const ready = pods.filter(isPodReady);
    const pool = ready.length ? ready : pods;
    victim = pool[Math.floor(Math.random() * pool.length)];
  }
  if (!victim) {
    throw new CliError(`deployment/${name} has no pods to kill (replicas: ${d.spec?.replicas ?? 0})`, ExitCode.failed, `Scale it up first: npm run k8s -- scale ${opts.service} 2`);
  }
  const victimName = nameOf(victim);
  const desired = d.spec?.replicas ?? 0;
  await deletePod(c, victim, opts.now);
  print(`deleted pod ${victimName} of deployment/${name} (node ${victim.spec?.nodeName ?? '<none>'}${opts.now ? ', grace period 0' : ''})`);
  print('');
  print('watch:    npm run k8s -- status');
  print(`          kubectl get pods -n ${c.namespace} -l ${selectorOf(d)} -w`);
  print(
    `expect:   ${victimName} goes Terminating and leaves the Service's endpoints at once; the ReplicaSet sees ${desired - 1}/${desired} and creates a replacement within a second or two; it turns Running and Ready after its startup/readiness probes. Clients see no errors while other replicas serve (PDB and ${desired > 1 ? `${desired} replicas` : 'more than one replica'} keep the Service up).`,
  );
  if (!opts.wait) return;
  const t0 = Date.now();
  const replacement = await watchUntil<k8s.V1Pod, string>(c, {
    path: `/api/v1/namespaces/${c.namespace}/pods`,
    list: () => c.core.listNamespacedPod({ namespace: c.namespace, labelSelector: selectorOf(d) }),
    labelSelector: selectorOf(d),
    timeoutSeconds: opts.timeout,
    check: (items) => {
      const ready = items.filter((p) => p.metadata?.name !== victimName && isPodReady(p));
      const fresh = ready.find((p) => !pods.some((old) => old.metadata?.uid === p.metadata?.uid));
      return fresh && ready.length >= desired ? nameOf(fresh) : undefined;
    },
    onTimeout: () => `no replacement for ${victimName} became ready within ${opts.timeout}s`,
  });
  print(`healed:   replacement pod ${replacement} ready after ${((Date.now() - t0) / 1000).toFixed(1)}s; ${desired}/${desired} ready`);
}

export async function killDbReplica(c: Cluster, opts: { now: boolean; wait: boolean; timeout: number }, print: (s: string) => void): Promise<void> {
  await assertReleaseInstalled(c);
  let pods: k8s.V1Pod[] = [];
  let component = '';
  for (const candidate of DB_REPLICA_COMPONENTS) {
    const list = await c.call('list pods', () =>
      c.core.listNamespacedPod({ namespace: c.namespace, labelSelector: `${LABEL_INSTANCE}=${c.release},${LABEL_COMPONENT}=${candidate}` }),
    );
    pods = list.items.filter((p) => !p.metadata?.deletionTimestamp);
    component = candidate;
    if (pods.length) break;
  }
  const victim = pods[0];
  if (!victim) {
    throw new CliError(
      `release "${c.release}" in namespace "${c.namespace}" runs no Postgres replica pod (looked for ${LABEL_COMPONENT} in ${DB_REPLICA_COMPONENTS.join(', ')})`,
      ExitCode.notInstalled,
      'The chart runs the dev database only when its in-chart Postgres is enabled; with an external database, fail the replica at your provider instead.',
    );
  }
  const name = nameOf(victim);
  const owner = victim.metadata?.ownerReferences?.[0];
  await deletePod(c, victim, opts.now);
  print(`deleted Postgres replica pod ${name} (${owner ? `${owner.kind.toLowerCase()}/${owner.name}` : 'no controller'}, node ${victim.spec?.nodeName ?? '<none>'})`);
  print('');
  print('watch:    npm run k8s -- status');
  print(`          kubectl get pods -n ${c.namespace} -l ${LABEL_INSTANCE}=${c.release},${LABEL_COMPONENT}=${component} -w`);
  print(`          kubectl -n ${c.namespace} port-forward deploy/<catalog deployment> 3002 & curl -s localhost:3002/health/dependencies   (postgres-replicas: down, then up)`);
  print(
    'expect:   reads keep working: the services skip the missing replica and read from the primary (metric db_replica_usable 0, /health/dependencies says so; every pod stays Ready); writes are unaffected. The StatefulSet recreates the pod, it reconnects to the primary, replays the WAL it missed, and reads move back to it once its lag is under the bound.',
  );
  if (!opts.wait || !owner) return;
  const t0 = Date.now();
  const selector = `${LABEL_INSTANCE}=${c.release},${LABEL_COMPONENT}=${component}`;
  const back = await watchUntil<k8s.V1Pod, string>(c, {
    path: `/api/v1/namespaces/${c.namespace}/pods`,
    list: () => c.core.listNamespacedPod({ namespace: c.namespace, labelSelector: selector }),
    labelSelector: selector,
    timeoutSeconds: opts.timeout,
    check: (items) => items.find((p) => p.metadata?.uid !== victim.metadata?.uid && isPodReady(p))?.metadata?.name,
    onTimeout: () => `the replica did not come back ready within ${opts.timeout}s`,
  });
  print(`healed:   replica pod ${back} ready again after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}
