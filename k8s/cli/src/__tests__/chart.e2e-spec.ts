/**
 * The real chart on the real control plane: `helm install` of helm/saas-starter must pass the API
 * server's own validation and admission (Pod Security "restricted" enforced on the namespace), its
 * hooks must complete, and the CLI must drive the installed release by the chart's labels.
 * Every values set under helm/tests/values (and values-production.yaml) must pass a server-side dry run.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { cli, eventually, get, isReady, KUBECONFIG, kubectl, list, type Obj, ROOT } from './support';

const NS = 'chart-e2e';
const RELEASE = 'saas-starter';
const CHART = join(ROOT, 'helm', 'saas-starter');
const SERVICES = ['auth', 'catalog', 'media', 'profile'];
const sel = (component: string) => `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=${component}`;
let helmBin = '';

function helm(args: string[]) {
  const r = spawnSync(helmBin, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, KUBECONFIG }, timeout: 600_000, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr + (r.error ? String(r.error) : '') };
}

/** Objects of a rendered manifest stream. */
function docs(yaml: string): Obj[] {
  return (loadAll(yaml) as Obj[]).filter((o) => o && o.kind);
}

beforeAll(() => {
  const build = spawnSync('bash', [join(ROOT, 'k8s', 'helm-tools', 'build.sh')], { cwd: ROOT, encoding: 'utf8', timeout: 3_600_000 });
  if (build.status !== 0) throw new Error(`k8s/helm-tools/build.sh failed: ${build.stderr}`);
  helmBin = join(ROOT, '.local', 'tools', 'bin', 'helm');
  kubectl(['create', 'namespace', NS]);
  // The API server's PodSecurity admission rejects any pod of the chart that is not "restricted".
  kubectl(['label', 'namespace', NS, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/warn=restricted']);
  // KEDA's ScaledObject CRD (from the pinned KEDA module), so the chart's lag scaling is checked by the API server.
  const crd = spawnSync('bash', [join(ROOT, 'k8s', 'cluster', 'addons', 'keda', 'crds.sh')], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  if (crd.status !== 0) throw new Error(`k8s/cluster/addons/keda/crds.sh failed: ${crd.stderr}`);
  kubectl(['apply', '--server-side', '-f', crd.stdout.trim()]);
  kubectl(['wait', '--for=condition=Established', 'crd/scaledobjects.keda.sh', '--timeout=60s']);
  // prometheus-operator's ServiceMonitor and PrometheusRule CRDs (from the pinned module), so the chart's
  // monitoring objects are checked by the API server too.
  const monitoring = spawnSync('bash', [join(ROOT, 'k8s', 'cluster', 'addons', 'prometheus-operator', 'crds.sh')], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  if (monitoring.status !== 0) throw new Error(`k8s/cluster/addons/prometheus-operator/crds.sh failed: ${monitoring.stderr}`);
  for (const file of monitoring.stdout.trim().split('\n')) kubectl(['apply', '--server-side', '-f', file]);
  kubectl(['wait', '--for=condition=Established', 'crd/servicemonitors.monitoring.coreos.com', 'crd/prometheusrules.monitoring.coreos.com', '--timeout=60s']);
});

describe('helm install of helm/saas-starter', () => {
  it('installs with --wait: every object accepted by the API server, hooks complete, all pods ready', () => {
    const r = helm(['install', RELEASE, CHART, '-n', NS, '--wait', '--timeout', '5m']);
    expect(r.stderr).not.toContain('violate PodSecurity');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('STATUS: deployed');
    const manifest = docs(helm(['get', 'manifest', RELEASE, '-n', NS]).stdout);
    expect(manifest.length).toBeGreaterThan(20);
    // Each rendered object exists as the server stored it.
    for (const o of manifest) {
      const stored = JSON.parse(kubectl(['get', o.kind, o.metadata.name, '-n', NS, '-o', 'json']));
      expect(stored.metadata.labels['app.kubernetes.io/instance']).toBe(RELEASE);
    }
    // Hooks (migrations, topic init, ...) ran as Jobs and succeeded (helm waited for them).
    const hooks = docs(helm(['get', 'hooks', RELEASE, '-n', NS]).stdout);
    expect(hooks.some((h) => h.kind === 'Job')).toBe(true);
    for (const svc of SERVICES) {
      const d = get('deployment', `${RELEASE}-${svc}`, NS);
      expect(d.status.readyReplicas).toBe(d.spec.replicas);
      expect(list('hpa', NS, sel(svc))).toHaveLength(1);
    }
    expect(list('pods', NS, sel('postgres-replica')).filter(isReady)).toHaveLength(1);
  });

  it.each([...readdirSync(join(ROOT, 'helm', 'tests', 'values')).map((f) => join('helm', 'tests', 'values', f)), join('helm', 'saas-starter', 'values-production.yaml')])(
    'values %s pass a server-side dry run',
    (file) => {
      const rendered = helm(['template', 'dry', CHART, '-n', NS, '-f', join(ROOT, file)]);
      expect(rendered.code).toBe(0);
      // Pass helm's YAML through untouched (re-serialising with a YAML 1.2 parser would turn the
      // chart's octal 0555 modes into decimal 555). ServiceMonitor, PrometheusRule and KEDA's ScaledObject
      // are checked against their CRDs' schemas (installed above).
      const checkable = rendered.stdout.split(/^---\s*$/m).filter((d) => /^kind: /m.test(d));
      const out = kubectl(['apply', '--dry-run=server', '-n', NS, '-f', '-'], checkable.map((d) => `---\n${d}`).join('\n'));
      const created = out.trim().split('\n');
      expect(created).toHaveLength(checkable.length);
      for (const line of created) expect(line).toMatch(/ created \(server dry run\)$/);
    },
  );
});

describe('lag scaling (KEDA ScaledObject) against the real API', () => {
  const render = (set: string[]) => {
    const rendered = helm(['template', 'lag', CHART, '-n', NS, '--show-only', 'templates/app/scaledobject.yaml', ...set.flatMap((s) => ['--set', s])]);
    expect(rendered.code).toBe(0);
    return rendered.stdout;
  };
  const media = ['services.media.autoscaling.enabled=false', 'services.media.lagScaling.enabled=true'];

  it('the chart\'s ScaledObject is accepted and stored as rendered', () => {
    const out = kubectl(['apply', '-n', NS, '-f', '-'], render(media));
    expect(out.trim()).toBe('scaledobject.keda.sh/lag-saas-starter-media created');
    const stored = get('scaledobject', 'lag-saas-starter-media', NS);
    expect(stored.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 3, scaleTargetRef: { name: 'lag-saas-starter-media' } });
    expect(stored.spec.triggers[0]).toMatchObject({ type: 'kafka', metadata: { consumerGroup: 'media-thumbnails', topic: 'media.asset.v1', lagThreshold: '20' } });
    kubectl(['delete', 'scaledobject', 'lag-saas-starter-media', '-n', NS]);
  });

  it('the API server refuses a ScaledObject its schema does not allow (the check can fail)', () => {
    const broken = render(media).replace(/maxReplicaCount: 3/, 'maxReplicaCount: "three"');
    const r = spawnSync(join(ROOT, '.local', 'tools', 'bin', 'kubectl'), ['apply', '--dry-run=server', '-n', NS, '-f', '-'], {
      input: broken,
      encoding: 'utf8',
      env: { ...process.env, KUBECONFIG },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/spec\.maxReplicaCount.*(Invalid value|must be of type integer)/);
  });
});

describe('the CLI on the installed chart', () => {
  it('status --once finds every service, its HPA and the dev infrastructure by the chart labels', async () => {
    const r = await cli(['status', '--once', '-n', NS]);
    expect(r.code).toBe(0);
    for (const svc of SERVICES) {
      expect(r.stdout).toMatch(new RegExp(`^${svc}\\s+${RELEASE}-${svc}\\s+2\\s+2\\s+2\\s+2\\s+${RELEASE}-${svc}: replicas 2 \\(min 2, max \\d+\\) cpu <unknown>/\\d+%`, 'm'));
    }
    for (const infra of ['postgres-primary', 'postgres-replica', 'kafka', 'redis']) {
      expect(r.stdout).toMatch(new RegExp(`^${infra}\\s+\\S+/${RELEASE}-${infra}\\s+1/1`, 'm'));
    }
  });

  it('scale is refused because the chart gives every service an HPA', async () => {
    const r = await cli(['scale', 'catalog', '4', '-n', NS]);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`HorizontalPodAutoscaler ${RELEASE}-catalog manages it`);
  });

  it('chaos kill-pod and rollout restart heal and roll the chart Deployments', async () => {
    const kill = await cli(['chaos', 'kill-pod', 'catalog', '--wait', '-n', NS]);
    expect(kill.code).toBe(0);
    expect(kill.stdout).toMatch(/healed: +replacement pod saas-starter-catalog-\S+ ready/);
    const restart = await cli(['rollout', 'restart', 'auth', '--wait', '-n', NS]);
    expect(restart.code).toBe(0);
    const d = get('deployment', `${RELEASE}-auth`, NS);
    expect(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBeDefined();
    await eventually(() => list('pods', NS, sel('auth')).filter(isReady).length === 2, 60_000, 'auth 2 ready');
  });

  it('chaos kill-db-replica finds the chart replica and its StatefulSet recreates it', async () => {
    const r = await cli(['chaos', 'kill-db-replica', '--wait', '-n', NS]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`(statefulset/${RELEASE}-postgres-replica`);
    expect(r.stdout).toMatch(/healed: +replica pod saas-starter-postgres-replica-0 ready again/);
  });

  it('load runs k8s/demo/loadgen-job.yaml against the chart Service port; the pod passes Pod Security "restricted"', async () => {
    const r = await cli(['load', 'catalog', '--rps', '5', '--duration', '2s', '-n', NS]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`→ http://${RELEASE}-catalog\\.${NS}\\.svc:3002/catalog/products`));
    expect(r.stdout).toMatch(/job\/\S+: Complete/);
  });

  it('helm uninstall removes the release; the CLI then says the chart is not installed', async () => {
    const r = helm(['uninstall', RELEASE, '-n', NS, '--wait']);
    expect(r.code).toBe(0);
    await eventually(() => list('deployments', NS, `app.kubernetes.io/instance=${RELEASE}`).length === 0, 60_000, 'deployments gone');
    const s = await cli(['status', '--once', '-n', NS]);
    expect(s.code).toBe(5);
    expect(s.stderr).toContain(`the chart is not installed: no release "${RELEASE}" in namespace "${NS}"`);
  });
});
