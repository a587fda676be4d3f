import * as k8s from '@kubernetes/client-node';
import { SERVICES, type Service } from '../cli/args';
import { age, hpaMetrics, showCpu, showRate, table, type MetricSpec, type MetricStatus } from '../cli/format';
import { assertReleaseInstalled, type Cluster, LABEL_COMPONENT, LABEL_INSTANCE, targets, translate } from '../kube/cluster';
import { type PodUsage, samplePodUsage } from '../kube/pod-usage';

export interface Snapshot {
  deployments: readonly k8s.V1Deployment[];
  statefulSets: readonly k8s.V1StatefulSet[];
  hpas: readonly k8s.V2HorizontalPodAutoscaler[];
  pods: readonly k8s.V1Pod[];
  /** Per pod: CPU (metrics API) and requests per second (its /metrics); absent where unknown. */
  usage?: ReadonlyMap<string, PodUsage>;
}

const component = (o: { metadata?: k8s.V1ObjectMeta }) => o.metadata?.labels?.[LABEL_COMPONENT] ?? '';
const isService = (name: string): name is Service => (SERVICES as readonly string[]).includes(name);
const num = (n: number | undefined) => String(n ?? 0);

export function podStatus(p: k8s.V1Pod): string {
  if (p.metadata?.deletionTimestamp) return 'Terminating';
  const waiting = p.status?.containerStatuses?.find((c) => c.state?.waiting?.reason)?.state?.waiting?.reason;
  const terminated = p.status?.containerStatuses?.find((c) => c.state?.terminated?.reason)?.state?.terminated?.reason;
  if (p.status?.phase === 'Pending' && !p.spec?.nodeName) return 'Pending (unscheduled)';
  return waiting ?? (p.status?.phase === 'Running' ? 'Running' : (terminated ?? p.status?.phase ?? 'Unknown'));
}

function podReady(p: k8s.V1Pod): string {
  const statuses = p.status?.containerStatuses ?? [];
  const total = p.spec?.containers?.length ?? statuses.length;
  return `${statuses.filter((c) => c.ready).length}/${total}`;
}

function hpaSummary(h: k8s.V2HorizontalPodAutoscaler): { line: string; problem?: string } {
  const metrics = hpaMetrics(h.spec?.metrics as MetricSpec[] | undefined, h.status?.currentMetrics as MetricStatus[] | undefined);
  const active = h.status?.conditions?.find((c) => c.type === 'ScalingActive');
  const problem = active && active.status !== 'True' ? `${active.reason}: ${active.message}` : undefined;
  // desiredReplicas means something only once the HPA has computed it (it stays 0 without metrics).
  const current = h.status?.currentReplicas ?? 0;
  const desired = h.status?.desiredReplicas;
  const observed = (h.status?.conditions?.length ?? 0) > 0; // the HPA controller has processed it
  const replicas = !observed ? '-' : desired && desired !== current ? `${current}→${desired}` : `${current}`;
  const line = `${h.metadata?.name}: replicas ${replicas} (min ${h.spec?.minReplicas ?? 1}, max ${h.spec?.maxReplicas}) ${metrics}`;
  return { line, problem };
}

/** "svc\0message" notes → one line per distinct message: "auth, catalog: message". */
function groupNotes(notes: string[]): string[] {
  const byMessage = new Map<string, string[]>();
  for (const note of notes) {
    const [service, message] = note.split('\0');
    byMessage.set(message, [...(byMessage.get(message) ?? []), service]);
  }
  return [...byMessage].map(([message, services]) => `${services.join(', ')}: ${message}`);
}

export function render(c: Pick<Cluster, 'release' | 'namespace' | 'context'>, s: Snapshot, now = new Date()): string {
  const out: string[] = [];
  out.push(`release ${c.release} · namespace ${c.namespace} · context ${c.context} · ${now.toISOString().slice(11, 19)}Z`);
  out.push('');
  const rows: string[][] = [['SERVICE', 'DEPLOYMENT', 'DESIRED', 'UPDATED', 'READY', 'AVAILABLE', 'HPA (replicas current→desired, min, max, metric current/target)']];
  const notes: string[] = [];
  for (const service of SERVICES) {
    const d = s.deployments.find((x) => component(x) === service);
    if (!d) {
      rows.push([service, '(not deployed)', '-', '-', '-', '-', '']);
      continue;
    }
    const hpas = s.hpas.filter((h) => targets(h, d));
    const hpa = hpas[0] ? hpaSummary(hpas[0]) : undefined;
    if (hpa?.problem) notes.push(`${service}\0HPA not scaling on metrics: ${hpa.problem}`);
    rows.push([
      service,
      d.metadata?.name ?? '',
      num(d.spec?.replicas),
      num(d.status?.updatedReplicas),
      num(d.status?.readyReplicas),
      num(d.status?.availableReplicas),
      hpa?.line ?? 'none',
    ]);
    const progressing = d.status?.conditions?.find((x) => x.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') notes.push(`${service}\0rollout stuck: ${progressing.message}`);
  }
  out.push(table(rows));

  const podRows: string[][] = [['SERVICE', 'POD', 'NODE', 'STATUS', 'READY', 'RESTARTS', 'AGE', 'CPU', 'REQ/S']];
  const pods = [...s.pods].sort((a, b) => (component(a) + a.metadata?.name).localeCompare(component(b) + b.metadata?.name));
  for (const p of pods) {
    const svc = component(p);
    if (!isService(svc)) continue;
    podRows.push([
      svc,
      p.metadata?.name ?? '',
      p.spec?.nodeName ?? '<none>',
      podStatus(p),
      podReady(p),
      String((p.status?.containerStatuses ?? []).reduce((n, cs) => n + (cs.restartCount ?? 0), 0)),
      age(p.status?.startTime ?? p.metadata?.creationTimestamp, now),
      showCpu(s.usage?.get(p.metadata?.name ?? '')?.cpuMilli),
      showRate(s.usage?.get(p.metadata?.name ?? '')?.requestsPerSecond),
    ]);
  }
  out.push('');
  out.push(podRows.length > 1 ? table(podRows) : 'no service pods');

  const infra: string[][] = [['COMPONENT', 'WORKLOAD', 'READY', 'PODS']];
  const others = [
    ...s.statefulSets.map((w) => ({ kind: 'statefulset', w })),
    ...s.deployments.filter((d) => !isService(component(d))).map((w) => ({ kind: 'deployment', w })),
  ];
  for (const { kind, w } of others) {
    const name = component(w) || w.metadata?.name || '';
    const pods = s.pods.filter((p) => component(p) === component(w) && component(w) !== '');
    infra.push([
      name,
      `${kind}/${w.metadata?.name}`,
      `${w.status?.readyReplicas ?? 0}/${w.spec?.replicas ?? 0}`,
      pods.map((p) => `${p.metadata?.name} ${podStatus(p)} on ${p.spec?.nodeName ?? '<none>'}`).join('; ') || '-',
    ]);
  }
  if (infra.length > 1) {
    out.push('');
    out.push(table(infra));
  }
  if (notes.length) {
    out.push('');
    out.push(...groupNotes(notes).map((n) => `! ${n}`));
  }
  return out.join('\n');
}

const selector = (c: Cluster) => `${LABEL_INSTANCE}=${c.release}`;

export async function snapshot(c: Cluster): Promise<Snapshot> {
  const ns = c.namespace;
  const [deployments, statefulSets, hpas, pods] = await Promise.all([
    c.call('list deployments', () => c.apps.listNamespacedDeployment({ namespace: ns, labelSelector: selector(c) })),
    c.call('list statefulsets', () => c.apps.listNamespacedStatefulSet({ namespace: ns, labelSelector: selector(c) })),
    c.call('list horizontalpodautoscalers', () => c.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: ns })),
    c.call('list pods', () => c.core.listNamespacedPod({ namespace: ns, labelSelector: selector(c) })),
  ]);
  return { deployments: deployments.items, statefulSets: statefulSets.items, hpas: hpas.items, pods: pods.items };
}

/** `status --once`: one snapshot from list calls; request rates from two scrapes of each pod 2 s apart. */
export async function statusOnce(c: Cluster, print: (s: string) => void): Promise<void> {
  await assertReleaseInstalled(c);
  const s = await snapshot(c);
  const { usage } = await samplePodUsage(c, s.pods, 2000);
  print(render(c, { ...s, usage }));
}

/**
 * Live status: four informers (list once, then watch) keep a local cache; every change re-renders.
 * On a terminal the screen is redrawn in place; otherwise each change prints a new snapshot.
 */
export async function statusLive(c: Cluster, print: (s: string) => void, stopAfterSeconds?: number): Promise<void> {
  await assertReleaseInstalled(c);
  const ns = c.namespace;
  const informers = {
    deployments: k8s.makeInformer(
      c.kc,
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      () => c.apps.listNamespacedDeployment({ namespace: ns, labelSelector: selector(c) }),
      selector(c),
    ),
    statefulSets: k8s.makeInformer(
      c.kc,
      `/apis/apps/v1/namespaces/${ns}/statefulsets`,
      () => c.apps.listNamespacedStatefulSet({ namespace: ns, labelSelector: selector(c) }),
      selector(c),
    ),
    hpas: k8s.makeInformer(c.kc, `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`, () =>
      c.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: ns }),
    ),
    pods: k8s.makeInformer(
      c.kc,
      `/api/v1/namespaces/${ns}/pods`,
      () => c.core.listNamespacedPod({ namespace: ns, labelSelector: selector(c) }),
      selector(c),
    ),
  };
  const tty = process.stdout.isTTY;
  let last = '';
  // CPU and request rates are not watchable: sampled every 5 s and drawn with the next redraw.
  let usage: ReadonlyMap<string, PodUsage> | undefined;
  let sample: { at: number; counts: Map<string, number> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const draw = () => {
    timer = undefined;
    const text = render(c, {
      deployments: informers.deployments.list(),
      statefulSets: informers.statefulSets.list(),
      hpas: informers.hpas.list(),
      pods: informers.pods.list(),
      usage,
    });
    // Without a terminal, print only when something other than the clock line changed.
    const body = text.slice(text.indexOf('\n'));
    if (!tty && body === last) return;
    last = body;
    print(tty ? `\x1b[2J\x1b[H${text}\n\n(watching; Ctrl-C to stop)` : `${text}\n`);
  };
  const schedule = () => {
    if (!timer && !stopped) timer = setTimeout(draw, 200);
  };
  for (const [name, typed] of Object.entries(informers)) {
    const informer = typed as unknown as k8s.Informer<k8s.KubernetesObject>;
    informer.on('change', schedule);
    informer.on('add', schedule);
    informer.on('update', schedule);
    informer.on('delete', schedule);
    informer.on('error', (err: unknown) => {
      if (stopped) return;
      process.stderr.write(`watch of ${name} failed (${translate(err, `watch ${name}`, c).message}); retrying in 3s\n`);
      setTimeout(() => !stopped && informer.start().catch(() => undefined), 3000);
    });
  }
  await Promise.all(Object.values(informers).map((i) => c.call('start watches', () => i.start())));
  draw();
  const tick = tty ? setInterval(draw, 1000) : undefined; // ages and the clock move on a terminal
  const sampleUsage = async () => {
    const next = await samplePodUsage(c, informers.pods.list(), 0, sample).catch(() => undefined);
    if (!next || stopped) return;
    if (sample) usage = next.usage; // the first sample only sets the baseline for rates
    sample = next.sample;
    schedule();
  };
  void sampleUsage();
  const sampler = setInterval(() => void sampleUsage(), 5000);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (stopAfterSeconds) setTimeout(stop, stopAfterSeconds * 1000);
  });
  stopped = true;
  clearInterval(sampler);
  if (tick) clearInterval(tick);
  if (timer) clearTimeout(timer);
  await Promise.all(Object.values(informers).map((i) => i.stop().catch(() => undefined)));
}
