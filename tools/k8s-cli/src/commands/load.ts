import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import type { Service } from '../cli/args';
import { CliError, ExitCode } from '../cli/errors';
import { seconds as showSeconds } from '../cli/format';
import { nameOf, sleep, type Cluster, findDeployment, hpasFor, LABEL_COMPONENT, LABEL_INSTANCE, LABEL_NAME, selectorOf } from '../kube/cluster';
import { watchUntil } from '../kube/watch';
import { formatSummary, parseSummary } from '../cli/summary';
import { LOAD_SCRIPT } from './load-script';

export const LOAD_COMPONENT = 'load-generator';
export const LOAD_CONTAINER = 'load-generator';
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
  rps: number;
  durationSeconds: number;
  connections: number;
  path?: string;
  image?: string;
  follow: boolean;
  timeout: number;
}

const RESTRICTED_CONTAINER: k8s.V1SecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
};

const jobName = (release: string, service: Service) =>
  `${release}-load-${service}-${Date.now().toString(36)}`.slice(0, 63).replace(/-+$/, '');

/**
 * Builds the Job. If the chart ships a load-generator template (a suspended CronJob labelled
 * app.kubernetes.io/component=load-generator), the Job is made from it like
 * `kubectl create job --from=cronjob/...`, with TARGET_URL/RPS/DURATION_SECONDS/CONNECTIONS set.
 * Otherwise the built-in generator runs in the target service's own image (it has Node.js).
 */
export async function buildJob(c: Cluster, opts: LoadOptions, deployment: k8s.V1Deployment, targetUrl: string): Promise<{ job: k8s.V1Job; source: string }> {
  const name = jobName(c.release, opts.service);
  const labels = { [LABEL_INSTANCE]: c.release, [LABEL_COMPONENT]: LOAD_COMPONENT, [LABEL_NAME]: 'saas-starter', [TARGET_LABEL]: opts.service };
  const env: k8s.V1EnvVar[] = [
    { name: 'TARGET_URL', value: targetUrl },
    { name: 'RPS', value: String(opts.rps) },
    { name: 'DURATION_SECONDS', value: String(opts.durationSeconds) },
    { name: 'DURATION', value: `${opts.durationSeconds}s` },
    { name: 'CONNECTIONS', value: String(opts.connections) },
  ];
  const templates = await c.call('list cronjobs', () =>
    c.batch.listNamespacedCronJob({ namespace: c.namespace, labelSelector: `${LABEL_INSTANCE}=${c.release},${LABEL_COMPONENT}=${LOAD_COMPONENT}` }),
  );
  const cron = templates.items[0];
  if (cron?.spec?.jobTemplate?.spec) {
    const spec = structuredClone(cron.spec.jobTemplate.spec);
    for (const container of spec.template.spec?.containers ?? []) {
      container.env = [...(container.env ?? []).filter((e) => !env.some((x) => x.name === e.name)), ...env];
      if (opts.image) container.image = opts.image;
    }
    spec.template.metadata = { ...spec.template.metadata, labels: { ...spec.template.metadata?.labels, ...labels } };
    spec.activeDeadlineSeconds = opts.durationSeconds + 300;
    return {
      job: {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name,
          labels: { ...cron.spec.jobTemplate.metadata?.labels, ...labels },
          annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: nameOf(cron), uid: cron.metadata?.uid ?? '', controller: true }],
        },
        spec,
      },
      source: `template cronjob/${cron.metadata?.name}`,
    };
  }
  const appContainer = deployment.spec?.template.spec?.containers?.[0];
  const image = opts.image ?? appContainer?.image;
  if (!image) throw new CliError(`cannot tell which image to run the load generator in`, ExitCode.usage, 'Pass --image IMAGE (any image with Node.js >= 18).');
  return {
    job: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, labels },
      spec: {
        backoffLimit: 0,
        ttlSecondsAfterFinished: 3600,
        activeDeadlineSeconds: opts.durationSeconds + 300,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
            imagePullSecrets: deployment.spec?.template.spec?.imagePullSecrets,
            containers: [
              {
                name: LOAD_CONTAINER,
                image,
                imagePullPolicy: appContainer?.imagePullPolicy,
                command: ['node', '-e', LOAD_SCRIPT],
                env,
                resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } },
                securityContext: RESTRICTED_CONTAINER,
              },
            ],
          },
        },
      },
    },
    source: `built-in generator in ${image}`,
  };
}

async function targetUrlFor(c: Cluster, service: Service, path: string | undefined): Promise<string> {
  const services = await c.call('list services', () =>
    c.core.listNamespacedService({ namespace: c.namespace, labelSelector: `${LABEL_INSTANCE}=${c.release},${LABEL_COMPONENT}=${service}` }),
  );
  const svc = services.items[0];
  if (!svc) {
    throw new CliError(`release "${c.release}" has no Service for "${service}" in namespace "${c.namespace}"`, ExitCode.notInstalled);
  }
  const port = svc.spec?.ports?.find((p) => p.name === 'http') ?? svc.spec?.ports?.[0];
  return `http://${svc.metadata?.name}.${c.namespace}.svc:${port?.port ?? 80}${path ?? DEFAULT_PATHS[service]}`;
}

export async function load(c: Cluster, opts: LoadOptions, print: (s: string) => void): Promise<void> {
  const deployment = await findDeployment(c, opts.service);
  const url = await targetUrlFor(c, opts.service, opts.path);
  const { job, source } = await buildJob(c, opts, deployment, url);
  const created = await c.call('create job', () => c.batch.createNamespacedJob({ namespace: c.namespace, body: job }));
  const name = nameOf(created);
  const hpa = (await hpasFor(c, deployment))[0];
  print(`started job/${name}: ${opts.rps} req/s for ${showSeconds(opts.durationSeconds)} → ${url} (${source})`);
  print('');
  print('watch:    npm run k8s -- status                       (in a second terminal)');
  print(`          kubectl get hpa -n ${c.namespace} -w;  kubectl logs -f job/${name} -n ${c.namespace}`);
  print(
    hpa
      ? `expect:   CPU per pod of ${deployment.metadata?.name} rises; when the HPA's metric passes its target, ${hpa.metadata?.name} raises desired replicas (up to ${hpa.spec?.maxReplicas}) and new pods join the Service; after the load stops it scales back down once the stabilisation window has passed.`
      : `expect:   latency and CPU of ${deployment.metadata?.name} rise; there is no HPA for it, so replicas stay at ${deployment.spec?.replicas}.`,
  );
  print('');
  if (!opts.follow) return;

  const selector = `job-name=${name}`;
  const pod = await watchUntil<k8s.V1Pod, k8s.V1Pod>(c, {
    path: `/api/v1/namespaces/${c.namespace}/pods`,
    list: () => c.core.listNamespacedPod({ namespace: c.namespace, labelSelector: selector }),
    labelSelector: selector,
    timeoutSeconds: Math.min(opts.timeout, 300),
    check: (items) => items.find((p) => ['Running', 'Succeeded', 'Failed'].includes(p.status?.phase ?? '')),
    onTimeout: (items) =>
      `the load generator pod did not start within ${Math.min(opts.timeout, 300)}s (${items.map((p) => `${p.metadata?.name} ${p.status?.phase}`).join(', ') || 'no pod yet'}); see kubectl describe job/${name} -n ${c.namespace}`,
  });
  const podName = nameOf(pod);
  const container = pod.spec?.containers?.find((x) => x.name === LOAD_CONTAINER)?.name ?? pod.spec?.containers?.[0]?.name ?? LOAD_CONTAINER;
  let captured = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const text = chunk.toString();
      captured += text;
      process.stdout.write(text.replace(/^(?=.)/gm, '  | '));
      cb();
    },
  });
  // Follow the log while watching the Job: the stream normally ends when the container exits, but
  // the Job's completion is what decides the outcome (and some kubelets keep a follow open).
  let logEnded: () => void = () => undefined;
  const logDone = new Promise<void>((r) => (logEnded = r));
  let logProblem: string | undefined;
  const abort = await new k8s.Log(c.kc)
    .log(c.namespace, podName, container, sink, (err: unknown) => {
      if (err && !captured) logProblem = (err as Error).message ?? String(err);
      logEnded();
    }, { follow: true })
    .catch((err: unknown) => {
      logProblem = (err as Error).message ?? String(err);
      logEnded();
      return undefined;
    });
  const finished = await watchUntil<k8s.V1Job, 'Complete' | 'Failed'>(c, {
    path: `/apis/batch/v1/namespaces/${c.namespace}/jobs`,
    list: () => c.batch.listNamespacedJob({ namespace: c.namespace, fieldSelector: `metadata.name=${name}` }),
    timeoutSeconds: opts.timeout,
    check: (items) => {
      const conds = items.find((j) => j.metadata?.name === name)?.status?.conditions ?? [];
      if (conds.some((k) => k.type === 'Complete' && k.status === 'True')) return 'Complete';
      if (conds.some((k) => k.type === 'Failed' && k.status === 'True')) return 'Failed';
      return undefined;
    },
    onTimeout: () => `job/${name} did not finish within ${opts.timeout}s`,
  }).finally(async () => {
    // Give the log a moment to deliver its last lines, then close it.
    await Promise.race([logDone, sleep(3000)]);
    abort?.abort();
  });
  if (logProblem) print(`cannot stream the pod's log (${logProblem}); read it with kubectl logs job/${name} -n ${c.namespace}`);
  const summary = parseSummary(captured);
  print('');
  print(`job/${name}: ${finished}`);
  if (summary) for (const line of formatSummary(summary)) print(line);
  else if (!logProblem) print('no summary line in the log');
  print(`pods of ${deployment.metadata?.name} now: kubectl get pods -n ${c.namespace} -l ${selectorOf(deployment)}`);
  if (finished === 'Failed') throw new CliError(`the load generator job/${name} failed`, ExitCode.failed, `kubectl describe job/${name} -n ${c.namespace}`);
}
