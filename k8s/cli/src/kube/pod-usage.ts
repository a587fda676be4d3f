import * as k8s from '@kubernetes/client-node';
import { parseCpu, requestsServed } from '../cli/format';
import type { Cluster } from './cluster';

/** What each pod is doing now: CPU from the metrics API (metrics-server), requests from its own /metrics. */
export interface PodUsage {
  cpuMilli?: number;
  requestsPerSecond?: number;
}

const nameOf = (o: { metadata?: { name?: string } }) => o.metadata?.name ?? '';

/** CPU per pod in millicores; empty when the cluster has no metrics API (a bare kind cluster). */
export async function podCpu(c: Cluster): Promise<Map<string, number>> {
  try {
    const list = await new k8s.Metrics(c.kc).getPodMetrics(c.namespace);
    return new Map(list.items.map((m) => [m.metadata.name, m.containers.reduce((sum, ct) => sum + (parseCpu(ct.usage.cpu) ?? 0), 0)]));
  } catch {
    return new Map();
  }
}

/** Requests served so far per pod (its Prometheus histogram's count, probes and scrapes left out), via the API server's pod proxy. */
export async function podRequestCounts(c: Cluster, pods: readonly k8s.V1Pod[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  await Promise.all(
    pods
      .filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)
      .map(async (p) => {
        const port = p.spec?.containers?.[0]?.ports?.find((x) => x.name === 'http')?.containerPort;
        if (!port) return;
        try {
          const text = await c.core.connectGetNamespacedPodProxyWithPath({ name: `${nameOf(p)}:${port}`, namespace: c.namespace, path: 'metrics' });
          const served = requestsServed(String(text));
          if (served !== undefined) counts.set(nameOf(p), served);
        } catch {
          // a pod that cannot answer now (starting, draining) simply shows no rate
        }
      }),
  );
  return counts;
}

/** Samples twice, `intervalMs` apart: CPU from the second sample, request rates from the difference. */
export async function samplePodUsage(c: Cluster, pods: readonly k8s.V1Pod[], intervalMs: number, previous?: { at: number; counts: Map<string, number> }) {
  const first = previous ?? { at: Date.now(), counts: await podRequestCounts(c, pods) };
  if (!previous) await new Promise((r) => setTimeout(r, intervalMs));
  const [counts, cpu] = await Promise.all([podRequestCounts(c, pods), podCpu(c)]);
  const at = Date.now();
  const usage = new Map<string, PodUsage>();
  for (const p of pods) {
    const name = nameOf(p);
    const before = first.counts.get(name);
    const now = counts.get(name);
    const rate = before !== undefined && now !== undefined && now >= before ? (now - before) / ((at - first.at) / 1000) : undefined;
    usage.set(name, { cpuMilli: cpu.get(name), requestsPerSecond: rate });
  }
  return { usage, sample: { at, counts } };
}
