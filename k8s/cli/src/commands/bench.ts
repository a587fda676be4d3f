import * as k8s from '@kubernetes/client-node';
import type { Service } from '../cli/args';
import { CliError, ExitCode } from '../cli/errors';
import { benchTable, type BenchRow, podsServing } from '../cli/summary';
import { type Cluster, findDeployment, hpasFor, isPodReady, nameOf, podsOf, sleep, waitUntil } from '../kube/cluster';
import { runLoad } from './load';

export interface BenchOptions {
  service: Service;
  pods: number[];
  concurrency: number;
  durationSeconds: number;
  warmupSeconds: number;
  path?: string;
  timeout: number;
}

/**
 * Horizontal scaling, measured: the same closed-loop load through the Service at 1, 2, 3... pods. On a
 * small machine more processes add nothing unless each pod has a CPU limit (the kubelet enforces it with
 * the cgroup's CFS quota), so the table states the limit it measured under.
 */
export async function bench(c: Cluster, opts: BenchOptions, print: (s: string) => void): Promise<BenchRow[]> {
  const deployment = await findDeployment(c, opts.service);
  const name = nameOf(deployment);
  const hpa = (await hpasFor(c, deployment))[0];
  if (hpa) {
    throw new CliError(
      `refusing to benchmark ${name}: HorizontalPodAutoscaler ${nameOf(hpa)} manages its replicas and would change them mid-run`,
      ExitCode.refused,
      `Turn it off for the run: helm upgrade ... --reuse-values --set services.${opts.service}.autoscaling.enabled=false`,
    );
  }
  const container = deployment.spec?.template?.spec?.containers?.[0];
  const cpuLimit = container?.resources?.limits?.cpu ?? 'none';
  const original = deployment.spec?.replicas ?? 1;
  // Largest count first, then down: every measured pod has already served the warm-up (a pod started for
  // a step would spend its first seconds compiling and connecting at the limit, inside the measurement).
  const order = [...new Set(opts.pods)].sort((a, b) => b - a);
  print(`bench ${name}: ${opts.concurrency} concurrent clients, ${opts.durationSeconds}s per step (after ${opts.warmupSeconds}s warm-up), CPU limit per pod ${cpuLimit}, pods ${order.join(' → ')}`);
  if (cpuLimit === 'none') print('warning: no CPU limit: on a small machine the pods share the same cores and more pods add little');
  const rows: BenchRow[] = [];
  try {
    for (const [step, pods] of order.entries()) {
      await scaleTo(c, name, pods);
      await waitForExactly(c, deployment, pods, opts.timeout);
      const load = { service: opts.service, concurrency: opts.concurrency, path: opts.path, follow: false, timeout: opts.timeout };
      if (step === 0 && opts.warmupSeconds > 0) await runLoad(c, { ...load, durationSeconds: opts.warmupSeconds }, deployment);
      const run = await runLoad(c, { ...load, durationSeconds: opts.durationSeconds }, deployment);
      if (!run.summary) throw new CliError(`job/${run.name} printed no summary (${run.finished})`, ExitCode.failed, `kubectl logs job/${run.name} -n ${c.namespace}`);
      rows.push({ pods, summary: run.summary });
      const s = run.summary;
      print(`  ${pods} pod(s): ${s.rps} req/s, p99 ${s.latencyMs.p99} ms, failed ${s.non2xx + s.errors}, answered by ${podsServing(s).length} pod(s)`);
    }
  } finally {
    await scaleTo(c, name, original).catch(() => undefined);
  }
  rows.sort((a, b) => a.pods - b.pods);
  print('');
  for (const line of benchTable(rows, cpuLimit)) print(line);
  return rows;
}

async function scaleTo(c: Cluster, name: string, replicas: number): Promise<void> {
  await c.call(`patch deployments/scale ${name}`, () =>
    c.apps.patchNamespacedDeploymentScale(
      { name, namespace: c.namespace, body: { spec: { replicas } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    ),
  );
}

/** Exactly `n` Ready pods and none terminating, so the Service's endpoints are the pods being measured. */
async function waitForExactly(c: Cluster, deployment: k8s.V1Deployment, n: number, timeout: number): Promise<void> {
  let last = '';
  await waitUntil(
    timeout,
    async () => {
      const pods = await podsOf(c, deployment);
      const ready = pods.filter((p) => isPodReady(p) && !p.metadata?.deletionTimestamp).length;
      last = `${pods.length} pods, ${ready} ready`;
      return pods.length === n && ready === n ? true : undefined;
    },
    () => `${nameOf(deployment)} did not settle at ${n} ready pods within ${timeout}s (${last})`,
  );
  await sleep(2000); // endpoints follow readiness through the EndpointSlice controller and kube-proxy
}
