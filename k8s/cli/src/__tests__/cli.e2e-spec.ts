/**
 * The CLI against a real kube-apiserver + controller-manager + scheduler (kwok plays the kubelets):
 * every command is run as a person would, and its effect is checked through the API (kubectl).
 *
 * The release here is a stand-in with the chart's labels and names (app.kubernetes.io/instance=demo,
 * app.kubernetes.io/component=<service>, Deployments demo-<service>), so these tests do not depend on
 * the chart's dev infrastructure; chart.e2e-spec.ts installs the real chart.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, cliLive, eventually, get, isReady, kubectl, list, type Obj, STATE_DIR } from './support';

const NS = 'cli-e2e';
const RELEASE = 'demo';
const SERVICES = ['auth', 'catalog', 'media', 'profile'];
const base = ['--release', RELEASE, '-n', NS];
const labels = (component: string) => ({ 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/component': component, 'app.kubernetes.io/name': 'saas-starter' });

function fixture(): Obj[] {
  const objects: Obj[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }];
  SERVICES.forEach((svc, i) => {
    const selector = { 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/component': svc };
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${RELEASE}-${svc}`, namespace: NS, labels: labels(svc) },
      spec: {
        replicas: 2,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels: labels(svc) },
          spec: {
            containers: [
              {
                name: svc,
                image: `saas-starter/${svc}:e2e`,
                ports: [{ name: 'http', containerPort: 3001 + i }],
                resources: { requests: { cpu: '100m', memory: '128Mi' } },
                readinessProbe: { httpGet: { path: '/health/ready', port: 'http' } },
              },
            ],
          },
        },
      },
    });
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${RELEASE}-${svc}`, namespace: NS, labels: labels(svc) },
      spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
  });
  objects.push({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: `${RELEASE}-catalog`, namespace: NS, labels: labels('catalog') },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${RELEASE}-catalog` },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
    },
  });
  objects.push({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: `${RELEASE}-postgres-replica`, namespace: NS, labels: labels('postgres-replica') },
    spec: {
      serviceName: `${RELEASE}-postgres-replica`,
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/component': 'postgres-replica' } },
      template: { metadata: { labels: labels('postgres-replica') }, spec: { containers: [{ name: 'postgres', image: 'postgres:17' }] } },
    },
  });
  return objects;
}

const deployment = (svc: string) => get('deployment', `${RELEASE}-${svc}`, NS);
const readyPods = (svc: string) => list('pods', NS, `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=${svc}`).filter(isReady);
const settled = (svc: string, n: number) => () => {
  const d = deployment(svc);
  const pods = readyPods(svc);
  return d.status?.readyReplicas === n && d.status?.replicas === n && pods.length === n ? pods : undefined;
};

beforeAll(async () => {
  kubectl(['apply', '-f', '-'], fixture().map((o) => JSON.stringify(o)).join('\n'));
  for (const svc of SERVICES) await eventually(settled(svc, 2), 90_000, `${svc} 2/2 ready`);
  await eventually(() => readyPods('postgres-replica').length === 1, 90_000, 'postgres replica ready');
  await eventually(() => get('hpa', `${RELEASE}-catalog`, NS).status?.conditions?.length, 60_000, 'the HPA controller to process the HPA');
});

describe('status', () => {
  it('--once prints desired/updated/ready/available per service, the HPA, and pods with node, phase, restarts, age', async () => {
    const r = await cli(['status', '--once', ...base]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`release ${RELEASE} · namespace ${NS}`);
    for (const svc of SERVICES) {
      expect(r.stdout).toMatch(new RegExp(`^${svc}\\s+${RELEASE}-${svc}\\s+2\\s+2\\s+2\\s+2\\s`, 'm'));
      for (const pod of readyPods(svc)) {
        expect(r.stdout).toMatch(new RegExp(`^${svc}\\s+${pod.metadata.name}\\s+${pod.spec.nodeName}\\s+Running\\s+1/1\\s+0\\s+\\d+[smhd]`, 'm'));
      }
    }
    // HPA reporting: replicas (current→desired while it scales), min, max, and metric current/target. Without a metrics API
    // (this cluster has none, like a bare kind cluster) the current value is <unknown> and the CLI
    // says why the HPA cannot scale on metrics, from the HPA's own condition.
    expect(r.stdout).toMatch(/^catalog\s.*demo-catalog: replicas 2 \(min 2, max 5\) cpu <unknown>\/70%/m);
    expect(r.stdout).toMatch(/^auth\s.*\snone$/m);
    expect(r.stdout).toMatch(/^postgres-replica\s+statefulset\/demo-postgres-replica\s+1\/1\s+demo-postgres-replica-0 Running on kwok-node-\d/m);
    const hpa = get('hpa', `${RELEASE}-catalog`, NS);
    expect(hpa.status.currentReplicas).toBe(2);
    await eventually(async () => {
      const again = await cli(['status', '--once', ...base]);
      return /! catalog: HPA not scaling on metrics: FailedGetResourceMetric/.test(again.stdout);
    }, 60_000, 'the HPA condition to show up in status');
  });

  it('live mode follows watches: a scale shows up without a restart', async () => {
    const live = cliLive(['status', '--watch-seconds', '40', ...base]);
    await eventually(() => /^media\s+demo-media\s+2\s+2\s+2\s+2/m.test(live.out.stdout), 30_000, 'first render');
    const before = live.out.stdout.length;
    kubectl(['scale', 'deployment', `${RELEASE}-media`, '-n', NS, '--replicas', '3']);
    await eventually(() => /^media\s+demo-media\s+3\s+3\s+3\s+3/m.test(live.out.stdout.slice(before)), 30_000, 'live update to 3/3');
    live.child.kill('SIGINT');
    expect(await live.done).toBe(0);
    kubectl(['scale', 'deployment', `${RELEASE}-media`, '-n', NS, '--replicas', '2']);
    await eventually(settled('media', 2), 60_000, 'media back to 2');
  });
});

describe('scale', () => {
  it('scales through the scale subresource and waits for the pods', async () => {
    const r = await cli(['scale', 'auth', '3', '--wait', ...base]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`scaled deployment/${RELEASE}-auth: 2 → 3 replicas (scale subresource)`);
    expect(r.stdout).toMatch(/expect: +1 new pod/);
    expect(r.stdout).toMatch(/ready: +3\/3 replicas ready after/);
    const d = JSON.parse(kubectl(['get', 'deployment', `${RELEASE}-auth`, '-n', NS, '-o', 'json', '--show-managed-fields']));
    expect(d.spec.replicas).toBe(3);
    expect(d.status.readyReplicas).toBe(3);
    // The API server records which subresource a write went through.
    expect(d.metadata.managedFields.some((f: Obj) => f.subresource === 'scale' && f.operation === 'Update')).toBe(true);
    const pods = readyPods('auth');
    expect(pods).toHaveLength(3);
    for (const p of pods) expect(p.spec.nodeName).toMatch(/^kwok-node-\d$/);
    // and down again
    const down = await cli(['scale', 'auth', '2', '--wait', ...base]);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/1 pod\(s\) Terminating/);
    await eventually(settled('auth', 2), 60_000, 'auth back to 2');
  });

  it('refuses when an HPA manages the Deployment; --force scales and the HPA takes over again', async () => {
    const refused = await cli(['scale', 'catalog', '4', ...base]);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toContain(`refusing to scale ${RELEASE}-catalog: HorizontalPodAutoscaler ${RELEASE}-catalog manages it (min 2, max 5`);
    expect(refused.stderr).toContain('--force');
    expect(deployment('catalog').spec.replicas).toBe(2);

    // Below the HPA's minimum: the HPA controller raises it back to minReplicas (real controller, real API).
    const forced = await cli(['scale', 'catalog', '1', '--force', ...base]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`scaled deployment/${RELEASE}-catalog: 2 → 1 replicas`);
    expect(forced.stdout).toContain('warning: HPA demo-catalog still manages');
    await eventually(() => {
      const hpa = get('hpa', `${RELEASE}-catalog`, NS);
      return hpa.status.desiredReplicas === 2 && deployment('catalog').spec.replicas === 2;
    }, 60_000, 'the HPA to restore minReplicas');
    await eventually(settled('catalog', 2), 60_000, 'catalog 2/2');
  });
});

describe('chaos', () => {
  it('kill-pod deletes one pod and the ReplicaSet replaces it', async () => {
    const before = readyPods('profile').map((p) => p.metadata.name);
    const r = await cli(['chaos', 'kill-pod', 'profile', '--wait', ...base]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const victim = /deleted pod (\S+) of deployment\/demo-profile/.exec(r.stdout)?.[1];
    expect(before).toContain(victim);
    expect(r.stdout).toMatch(/expect: .*creates a replacement/);
    const replacement = /healed: +replacement pod (\S+) ready after/.exec(r.stdout)?.[1];
    expect(replacement).toBeDefined();
    expect(before).not.toContain(replacement);
    const after = readyPods('profile').map((p) => p.metadata.name);
    expect(after).toHaveLength(2);
    expect(after).toContain(replacement);
    expect(after).not.toContain(victim);
  });

  it('kill-pod --pod must name a pod of that service', async () => {
    const r = await cli(['chaos', 'kill-pod', 'profile', '--pod', 'nope-123', ...base]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pod "nope-123" is not a live pod of deployment/demo-profile');
  });

  it('kill-db-replica deletes the Postgres replica pod and its StatefulSet brings it back', async () => {
    const old = readyPods('postgres-replica')[0];
    const r = await cli(['chaos', 'kill-db-replica', '--wait', ...base]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`deleted Postgres replica pod ${old.metadata.name} (statefulset/${RELEASE}-postgres-replica`);
    expect(r.stdout).toMatch(/expect: +reads keep working/);
    expect(r.stdout).toMatch(/healed: +replica pod demo-postgres-replica-0 ready again/);
    const now = readyPods('postgres-replica')[0];
    expect(now.metadata.uid).not.toBe(old.metadata.uid);
  });
});

describe('rollout restart', () => {
  it('sets kubectl.kubernetes.io/restartedAt on the pod template and replaces every pod', async () => {
    const oldPods = readyPods('media').map((p) => p.metadata.uid);
    const oldGeneration = deployment('media').metadata.generation;
    const r = await cli(['rollout', 'restart', 'media', '--wait', ...base]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/restarted deployment\/demo-media \(kubectl\.kubernetes\.io\/restartedAt=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    expect(r.stdout).toMatch(/done: +deployment\/demo-media rolled out in/);
    const d = deployment('media');
    expect(d.metadata.generation).toBe(oldGeneration + 1);
    expect(Date.parse(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'])).toBeGreaterThan(Date.now() - 120_000);
    const rs = list('replicasets', NS, 'app.kubernetes.io/instance=demo,app.kubernetes.io/component=media');
    expect(rs.length).toBeGreaterThanOrEqual(2);
    const current = rs.find((x) => x.metadata.annotations['deployment.kubernetes.io/revision'] === d.metadata.annotations['deployment.kubernetes.io/revision']);
    const pods = await eventually(settled('media', 2), 60_000, 'media settled');
    for (const p of pods) {
      expect(oldPods).not.toContain(p.metadata.uid);
      expect(p.metadata.labels['pod-template-hash']).toBe(current.metadata.labels['pod-template-hash']);
    }
  });
});

describe('load', () => {
  it("creates the load-generator Job from k8s/demo/loadgen-job.yaml on the service's own image, with the requested rate and duration, and streams its summary", async () => {
    const r = await cli(['load', 'catalog', '--rps', '5', '--duration', '2s', ...base]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const target = 'http://demo-catalog.cli-e2e.svc:80/catalog/products';
    const name = new RegExp(`started job/(\\S+): 5 req/s for 2s → ${target.replace(/\./g, '\\.')} \\(k8s/demo/loadgen-job\\.yaml\\)`).exec(r.stdout)?.[1];
    expect(name).toBeDefined();
    expect(r.stdout).toMatch(/expect: .*demo-catalog raises desired replicas \(up to 5\)/);
    // The log travels kwok (the "kubelet") → kube-apiserver → CLI; kwok serves a canned log.
    expect(r.stdout).toContain('  | kwok: no container ran');
    expect(r.stdout).toContain(`job/${name}: Complete`);
    expect(r.stdout).toContain('requests: 10 at 5 req/s (open loop, 5 req/s); failed 0');
    expect(r.stdout).toContain('latency:  p50 1.9 ms · p95 3.4 ms · p99 3.9 ms · max 4.2 ms');
    expect(r.stdout).toContain('pods:     canned-pod-a 6, canned-pod-b 4');
    expect(r.stdout).not.toContain('LOADGEN_SUMMARY');
    const job = get('job', name!, NS);
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: Obj) => [e.name, e.value]));
    // CONCURRENCY stays empty (open loop); the API server stores an empty value as an unset one.
    expect(env).toEqual({ RPS: '5', DURATION: '2s', TARGET: target });
    expect(job.spec.template.spec.containers[0].image).toBe(deployment('catalog').spec.template.spec.containers[0].image);
    expect(job.metadata.labels).toMatchObject({ 'app.kubernetes.io/component': 'load-generator', 'saas-starter.io/load-target': 'catalog' });
    // The pod keeps the label the chart's NetworkPolicy admits clients by.
    expect(job.spec.template.metadata.labels).toMatchObject({ 'saas-starter/client': 'true', 'app.kubernetes.io/instance': RELEASE });
    expect(job.status.conditions.some((c: Obj) => c.type === 'Complete' && c.status === 'True')).toBe(true);
    const cm = get('configmap', `${name}-script`, NS);
    expect(cm.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Job', name, uid: job.metadata.uid })]);
    expect(cm.data['loadgen.mjs']).toContain('LOADGEN_SUMMARY');
  });
});

describe('bench', () => {
  it('runs the same closed-loop load at each pod count through the Service, tabulates it, and puts the replicas back', async () => {
    const r = await cli(['bench', 'media', '--pods', '1,3', '--duration', '1s', '--warmup', '0', ...base]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('bench demo-media: 16 concurrent clients, 1s per step (after 0s warm-up), CPU limit per pod none, pods 3 → 1');
    expect(r.stdout).toContain('warning: no CPU limit');
    // kwok serves the same canned log for every run, so the figures are equal: the flow is what is checked.
    expect(r.stdout).toContain('| pods (CPU limit none each) | req/s | × 1st row | p50 ms | p99 ms | failed | pods answering |');
    expect(r.stdout).toContain('| 1 | 5 | 1.00× | 1.9 | 3.9 | 0 | 2 |');
    expect(r.stdout).toContain('| 3 | 5 | 1.00× | 1.9 | 3.9 | 0 | 2 |');
    const jobs = list('jobs', NS, 'saas-starter.io/load-target=media');
    expect(jobs.map((j) => Object.fromEntries(j.spec.template.spec.containers[0].env.map((e: Obj) => [e.name, e.value])).CONCURRENCY)).toEqual(['16', '16']);
    await eventually(settled('media', 2), 60_000, 'media back at 2 replicas');
  });

  it('refuses a service an HPA manages (it would change replicas mid-run)', async () => {
    const r = await cli(['bench', 'catalog', '--duration', '1s', ...base]);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('error: refusing to benchmark demo-catalog: HorizontalPodAutoscaler demo-catalog manages its replicas');
    expect(r.stderr).toContain('--set services.catalog.autoscaling.enabled=false');
  });
});

describe('errors a person can act on (non-zero exit)', () => {
  it('unknown service', async () => {
    const r = await cli(['scale', 'billing', '2', ...base]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: unknown service "billing"');
    expect(r.stderr).toContain('auth, catalog, media, profile');
  });

  it('negative replicas', async () => {
    const r = await cli(['scale', 'auth', '-3', ...base]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: replicas cannot be negative (got -3)');
    expect(deployment('auth').spec.replicas).toBe(2);
  });

  it('missing kubeconfig', async () => {
    const viaEnv = await cli(['status', '--once', ...base], { KUBECONFIG: '/nonexistent/kubeconfig' });
    expect(viaEnv.code).toBe(3);
    expect(viaEnv.stderr).toContain('no kubeconfig found: KUBECONFIG=/nonexistent/kubeconfig names no existing file');
    const none = await cli(['status', '--once', ...base], { KUBECONFIG: undefined, HOME: '/nonexistent-home' });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('no kubeconfig found: --kubeconfig not given, KUBECONFIG not set and /nonexistent-home/.kube/config does not exist');
    const flag = await cli(['status', '--once', '--kubeconfig', '/nope.yaml', ...base]);
    expect(flag.code).toBe(3);
    expect(flag.stderr).toContain('kubeconfig /nope.yaml (from --kubeconfig) does not exist');
  });

  it('wrong context', async () => {
    const r = await cli(['status', '--once', '--context', 'prod-eu', ...base]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('context "prod-eu" not found');
    expect(r.stderr).toContain('Known contexts: saas-starter-local');
  });

  it('no cluster reachable', async () => {
    const file = join(STATE_DIR, 'unreachable.kubeconfig');
    // Same CA and user, but a loopback port nothing listens on.
    writeFileSync(file, kubectl(['config', 'view', '--raw']).replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1'));
    const r = await cli(['status', '--once', ...base], { KUBECONFIG: file });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('no cluster reachable at https://127.0.0.1:1');
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.stderr).toContain('control-plane.sh up');
  });

  it('chart not installed (or wrong namespace/release)', async () => {
    const r = await cli(['scale', 'auth', '2', '--release', 'shop', '-n', NS]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`the chart is not installed: no release "shop" in namespace "${NS}" of context "saas-starter-local"`);
    expect(r.stderr).toContain('helm install shop helm/saas-starter');
    const s = await cli(['status', '--once', '--release', RELEASE, '-n', 'default']);
    expect(s.code).toBe(5);
  });

  it('RBAC denied: a read-only identity can see status but not scale', async () => {
    kubectl(['create', 'serviceaccount', 'viewer', '-n', NS]);
    kubectl(['create', 'rolebinding', 'viewer-view', '--clusterrole=view', `--serviceaccount=${NS}:viewer`, '-n', NS]);
    const token = kubectl(['create', 'token', 'viewer', '-n', NS, '--duration', '10m']).trim();
    const file = join(STATE_DIR, 'viewer.kubeconfig');
    const admin = kubectl(['config', 'view', '--raw', '--minify', '-o', 'json']);
    const cfg = JSON.parse(admin);
    cfg.users = [{ name: 'viewer', user: { token } }];
    cfg.contexts[0].context.user = 'viewer';
    writeFileSync(file, JSON.stringify(cfg));
    const status = await cli(['status', '--once', ...base], { KUBECONFIG: file });
    expect(status.code).toBe(0);
    const r = await cli(['scale', 'auth', '3', ...base], { KUBECONFIG: file });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(`RBAC denied: cannot patch deployments/scale ${RELEASE}-auth in namespace "${NS}"`);
    expect(r.stderr).toContain('system:serviceaccount:cli-e2e:viewer');
    expect(deployment('auth').spec.replicas).toBe(2);
  });
});
