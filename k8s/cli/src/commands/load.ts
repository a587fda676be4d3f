import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import type { Service } from '../cli/args';
import { CliError, ExitCode } from '../cli/errors';
import { seconds as showSeconds } from '../cli/format';
import { formatSummary, type LoadSummary, parseSummary } from '../cli/summary';
import { DEFAULT_TEMPLATE, type K8sObject, renderTemplate, scriptConfigMap } from '../cli/template';
import { type Cluster, findDeployment, hpasFor, LABEL_COMPONENT, LABEL_INSTANCE, nameOf, selectorOf, sleep } from '../kube/cluster';
import { watchUntil } from '../kube/watch';

export const LOAD_COMPONENT = 'load-generator';
export const TARGET_LABEL = 'saas-starter.io/load-target';

/** A cheap, representative read per service (override with --path). */
export const DEFAULT_PATHS: Record<Service, string> = {
  auth: '/auth/.well-known/jwks.json',
  catalog: '/catalog/products',
  media: '/health/ready',
  profile: '/health/ready',
};

export interface LoadOptions {
  service: Service;
  /** Exactly one: a fixed arrival rate (open loop) or a number of concurrent clients (closed loop). */
  rps?: number;
  concurrency?: number;
  durationSeconds: number;
  path?: string;
  template?: string;
  follow: boolean;
  timeout: number;
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

const jobName = (release: string, service: Service) =>
  `${release}-load-${service}-${Date.now().toString(36)}`.slice(0, 52).replace(/-+$/, '');

async function targetUrlFor(c: Cluster, service: Service, path: string | undefined): Promise<string> {
  const services = await c.call('list services', () =>
    c.core.listNamespacedService({ namespace: c.namespace, labelSelector: `${LABEL_INSTANCE}=${c.release},${LABEL_COMPONENT}=${service}` }),
  );
  const svc = services.items[0];
  if (!svc) throw new CliError(`release "${c.release}" has no Service for "${service}" in namespace "${c.namespace}"`, ExitCode.notInstalled);
  const port = svc.spec?.ports?.find((p) => p.name === 'http') ?? svc.spec?.ports?.[0];
  return `http://${nameOf(svc)}.${c.namespace}.svc:${port?.port ?? 80}${path ?? DEFAULT_PATHS[service]}`;
}

/** Fills the template and labels everything as this release's load generator for <service>. */
export function loadObjects(c: Pick<Cluster, 'release'>, opts: LoadOptions, name: string, target: string, image: string): { configMaps: K8sObject[]; job: K8sObject } {
  const objects = renderTemplate(opts.template ?? DEFAULT_TEMPLATE, {
    NAME: name,
    IMAGE: image,
    RPS: opts.rps === undefined ? '' : String(opts.rps),
    CONCURRENCY: opts.concurrency === undefined ? '' : String(opts.concurrency),
    DURATION: `${opts.durationSeconds}s`,
    TARGET: target,
  });
  if (!objects.some((o) => o.kind === 'ConfigMap' && o.metadata.name === `${name}-script`)) objects.push(scriptConfigMap(name));
  const labels = { [LABEL_INSTANCE]: c.release, [LABEL_COMPONENT]: LOAD_COMPONENT, [TARGET_LABEL]: opts.service };
  for (const o of objects) o.metadata.labels = { ...o.metadata.labels, ...labels };
  const job = objects.find((o) => o.kind === 'Job') as K8sObject;
  const pod = job.spec.template;
  pod.metadata = { ...pod.metadata, labels: { ...pod.metadata?.labels, ...labels } };
  job.spec.activeDeadlineSeconds ??= opts.durationSeconds + 300;
  const others = objects.filter((o) => o !== job);
  const unsupported = others.find((o) => o.kind !== 'ConfigMap');
  if (unsupported) throw new CliError(`the load-generator template may hold only ConfigMaps besides the Job (found ${unsupported.kind})`, ExitCode.usage);
  return { configMaps: others, job };
}

const describeLoad = (opts: LoadOptions) => (opts.rps !== undefined ? `${opts.rps} req/s` : `${opts.concurrency} concurrent clients`);

/** The image the load generator runs: the target service's own (it has Node; nothing else is pulled). */
function imageOf(deployment: k8s.V1Deployment): string {
  const image = deployment.spec?.template?.spec?.containers?.[0]?.image;
  if (!image) throw new CliError(`${nameOf(deployment)} has no container image to run the load generator with`, ExitCode.failed);
  return image;
}

export interface LoadRun {
  name: string;
  target: string;
  finished: 'Complete' | 'Failed';
  summary?: LoadSummary;
  logProblem?: string;
}

/** Creates the load-generator Job (and its script ConfigMap, owned by the Job). */
async function startLoadJob(c: Cluster, opts: LoadOptions, deployment: k8s.V1Deployment): Promise<{ name: string; target: string }> {
  const target = await targetUrlFor(c, opts.service, opts.path);
  const name = jobName(c.release, opts.service);
  const { configMaps, job } = loadObjects(c, opts, name, target, imageOf(deployment));
  const ns = c.namespace;
  for (const cm of configMaps) {
    await c.call(`create configmap ${cm.metadata.name}`, () => c.core.createNamespacedConfigMap({ namespace: ns, body: cm as k8s.V1ConfigMap }));
  }
  const created = await c.call('create job', () => c.batch.createNamespacedJob({ namespace: ns, body: job as k8s.V1Job }));
  // The script ConfigMaps belong to the Job: deleting the Job (or its TTL) removes them too.
  for (const cm of configMaps) {
    await c.call(`patch configmap ${cm.metadata.name}`, () =>
      c.core.patchNamespacedConfigMap(
        {
          name: cm.metadata.name,
          namespace: ns,
          body: { metadata: { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: created.metadata?.uid ?? '' }] } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
  }
  return { name, target };
}

/** Streams the Job's pod log (each line through `echo`, or nowhere) until the Job finishes; parses the summary. */
async function followLoadJob(c: Cluster, name: string, timeout: number, echo?: (line: string) => void): Promise<Omit<LoadRun, 'target'>> {
  const ns = c.namespace;
  const selector = `job-name=${name}`;
  const startWait = Math.min(timeout, 300);
  const pod = await watchUntil<k8s.V1Pod, k8s.V1Pod>(c, {
    path: `/api/v1/namespaces/${ns}/pods`,
    list: () => c.core.listNamespacedPod({ namespace: ns, labelSelector: selector }),
    labelSelector: selector,
    timeoutSeconds: startWait,
    check: (items) => items.find((p) => ['Running', 'Succeeded', 'Failed'].includes(p.status?.phase ?? '')),
    onTimeout: (items) =>
      `the load generator pod did not start within ${startWait}s (${items.map((p) => `${nameOf(p)} ${p.status?.phase}`).join(', ') || 'no pod yet'}); see kubectl describe job/${name} -n ${ns}`,
  });
  const container = pod.spec?.containers?.[0]?.name ?? '';
  let captured = '';
  let partial = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const text = chunk.toString();
      captured += text;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (!line.startsWith('LOADGEN_SUMMARY ')) echo?.(`  | ${line}`);
      cb();
    },
  });
  // Follow the log while watching the Job: the stream normally ends when the container exits, but the
  // Job's completion decides the outcome (and a follow may stay open after the container is gone).
  let logEnded: () => void = () => undefined;
  const logDone = new Promise<void>((r) => (logEnded = r));
  let logProblem: string | undefined;
  const abort = await new k8s.Log(c.kc)
    .log(
      ns,
      nameOf(pod),
      container,
      sink,
      (err: unknown) => {
        if (err && !captured) logProblem = firstLine(err);
        logEnded();
      },
      { follow: true },
    )
    .catch((err: unknown) => {
      logProblem = firstLine(err);
      logEnded();
      return undefined;
    });
  let finished: 'Complete' | 'Failed';
  try {
    finished = await watchUntil<k8s.V1Job, 'Complete' | 'Failed'>(c, {
      path: `/apis/batch/v1/namespaces/${ns}/jobs`,
      list: () => c.batch.listNamespacedJob({ namespace: ns, fieldSelector: `metadata.name=${name}` }),
      timeoutSeconds: timeout,
      check: (items) => {
        const conds = items.find((j) => nameOf(j) === name)?.status?.conditions ?? [];
        if (conds.some((k) => k.type === 'Complete' && k.status === 'True')) return 'Complete';
        if (conds.some((k) => k.type === 'Failed' && k.status === 'True')) return 'Failed';
        return undefined;
      },
      onTimeout: () => `job/${name} did not finish within ${timeout}s`,
    });
  } finally {
    // Give the log a moment to deliver its last lines, then close it.
    await Promise.race([logDone, sleep(3000)]);
    abort?.abort();
  }
  if (partial) captured += '\n';
  if (partial && !partial.startsWith('LOADGEN_SUMMARY ')) echo?.(`  | ${partial}`);
  return { name, finished, summary: parseSummary(captured), logProblem };
}

/** Runs one load-generator Job to the end, quietly; used by `bench`. */
export async function runLoad(c: Cluster, opts: LoadOptions, deployment: k8s.V1Deployment): Promise<LoadRun> {
  const { name, target } = await startLoadJob(c, opts, deployment);
  return { target, ...(await followLoadJob(c, name, opts.timeout)) };
}

export async function load(c: Cluster, opts: LoadOptions, print: (s: string) => void): Promise<void> {
  const deployment = await findDeployment(c, opts.service);
  const { name, target } = await startLoadJob(c, opts, deployment);
  const ns = c.namespace;
  const hpa = (await hpasFor(c, deployment))[0];
  print(`started job/${name}: ${describeLoad(opts)} for ${showSeconds(opts.durationSeconds)} → ${target} (${opts.template ?? 'k8s/demo/loadgen-job.yaml'})`);
  print('');
  print('watch:    npm run k8s -- status                       (in a second terminal)');
  print(`          kubectl get hpa -n ${ns} -w;  kubectl logs -f job/${name} -n ${ns}`);
  print(
    hpa
      ? `expect:   CPU per pod of ${nameOf(deployment)} rises; when the HPA's metric passes its target, ${nameOf(hpa)} raises desired replicas (up to ${hpa.spec?.maxReplicas}) and new pods join the Service; after the load stops it scales back down once the stabilisation window has passed.`
      : `expect:   latency and CPU of ${nameOf(deployment)} rise; there is no HPA for it, so replicas stay at ${deployment.spec?.replicas}.`,
  );
  print('');
  if (!opts.follow) return;
  const run = await followLoadJob(c, name, opts.timeout, print);
  if (run.logProblem) print(`cannot stream the pod's log (${run.logProblem}); read it with kubectl logs job/${name} -n ${ns}`);
  print('');
  print(`job/${name}: ${run.finished}`);
  if (run.summary) for (const line of formatSummary(run.summary)) print(line);
  else if (!run.logProblem) print('no load-generator summary in the log');
  print(`pods of ${nameOf(deployment)} now: kubectl get pods -n ${ns} -l ${selectorOf(deployment)}`);
  if (run.finished === 'Failed') {
    throw new CliError(`the load generator job/${name} failed`, ExitCode.failed, `kubectl describe job/${name} -n ${ns}; kubectl logs job/${name} -n ${ns}`);
  }
}
