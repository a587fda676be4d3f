/**
 * Policy over the rendered chart, for every value set: probes on real endpoints, CPU requests,
 * selectors that select, restricted security contexts everywhere, pinned images, labels from the one
 * helper, and env names checked against the apps' own config validation (tools/env-contract.ts).
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import {
  APPS,
  byKind,
  component,
  containersOf,
  envContract,
  podTemplates,
  render,
  selects,
  valueSets,
  RELEASE,
  type App,
  type EnvContract,
  type K8sObject,
} from './support/tools';

const sets = valueSets();
const APP_PATHS = ['/health/live', '/health/ready'];
const SELECTOR_KEYS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component'];
const STANDARD_LABELS = ['helm.sh/chart', 'app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/part-of'];
/**
 * Documented exceptions to the restricted security context, as "<component>/<container>: <field>".
 * None today: the official postgres, redis and apache/kafka images all run as their own non-root user
 * with a read-only root filesystem, given emptyDirs for /tmp, /var/run/postgresql and the data dirs.
 */
const SECURITY_EXCEPTIONS: string[] = [];

const isApp = (o: K8sObject) => APPS.includes(component(o) as App);
const appDeployments = (objects: K8sObject[]) => byKind(objects, 'Deployment').filter(isApp);

/** Ports a container exposes, by name and number. */
function resolvePort(container: any, port: string | number): number | undefined {
  const ports = (container.ports ?? []) as { name?: string; containerPort: number }[];
  const hit = ports.find((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port));
  return hit?.containerPort;
}

/** Env names a container gets: direct env + keys of the ConfigMaps/Secrets it loads with envFrom. */
function envNames(container: any, objects: K8sObject[], problems: string[]): string[] {
  const names = ((container.env ?? []) as { name: string }[]).map((e) => e.name);
  for (const source of (container.envFrom ?? []) as any[]) {
    const ref = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    const target = objects.find((o) => o.kind === kind && o.metadata.name === ref.name);
    if (!target) {
      problems.push(`${container.name}: envFrom ${kind} ${ref.name} is not rendered by the chart`);
      continue;
    }
    const keys = Object.keys({ ...(target.data ?? {}), ...(target.stringData ?? {}) });
    names.push(...keys.map((key) => `${source.prefix ?? ''}${key}`));
  }
  return names;
}

describe.each(Object.keys(sets))('policy, value set "%s"', (name) => {
  let objects: K8sObject[] = [];
  let contract: EnvContract;
  beforeAll(() => {
    objects = render(sets[name]);
    contract = envContract();
  });

  it('deploys all four services', () => {
    expect(appDeployments(objects).map(component).sort()).toEqual([...APPS]);
  });

  it('every service container has startup, liveness and readiness probes on a port it exposes and a path the app serves', () => {
    const problems: string[] = [];
    for (const d of appDeployments(objects)) {
      for (const c of d.spec.template.spec.containers) {
        for (const [probe, wanted] of [['startupProbe', '/health/live'], ['livenessProbe', '/health/live'], ['readinessProbe', '/health/ready']] as const) {
          const get = c[probe]?.httpGet;
          if (!get) { problems.push(`${d.metadata.name}/${c.name}: no ${probe}.httpGet`); continue; }
          if (!APP_PATHS.includes(get.path)) problems.push(`${d.metadata.name}/${c.name}: ${probe} path ${get.path} is not served`);
          if (get.path !== wanted) problems.push(`${d.metadata.name}/${c.name}: ${probe} should use ${wanted}, not ${get.path}`);
          if (resolvePort(c, get.port) === undefined) problems.push(`${d.metadata.name}/${c.name}: ${probe} port ${get.port} is not a containerPort`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every long-running container (dev infra too) has all three probes on ports it exposes', () => {
    const problems: string[] = [];
    for (const { owner, template } of podTemplates(objects).filter(({ owner }) => owner.kind !== 'Job')) {
      for (const { container, init } of containersOf(template.spec)) {
        if (init) continue;
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
          const p = container[probe];
          if (!p) { problems.push(`${owner.metadata.name}/${container.name}: no ${probe}`); continue; }
          const port = p.httpGet?.port ?? p.tcpSocket?.port ?? p.grpc?.port;
          if (port !== undefined && resolvePort(container, port) === undefined) problems.push(`${owner.metadata.name}/${container.name}: ${probe} port ${port} not exposed`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every container sets CPU and memory requests and a memory limit', () => {
    const problems: string[] = [];
    for (const { owner, template } of podTemplates(objects)) {
      for (const { container } of containersOf(template.spec)) {
        const r = container.resources ?? {};
        if (!r.requests?.cpu) problems.push(`${owner.kind}/${owner.metadata.name}/${container.name}: no CPU request`);
        if (!r.requests?.memory) problems.push(`${owner.kind}/${owner.metadata.name}/${container.name}: no memory request`);
        if (!r.limits?.memory) problems.push(`${owner.kind}/${owner.metadata.name}/${container.name}: no memory limit`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('workload selectors match their own pod template and use only name/instance/component', () => {
    const problems: string[] = [];
    for (const { owner, template } of podTemplates(objects).filter(({ owner }) => owner.kind !== 'Job')) {
      if (!selects(owner.spec.selector, template.metadata.labels)) problems.push(`${owner.metadata.name}: selector does not match its template`);
      const keys = Object.keys(owner.spec.selector.matchLabels ?? {});
      if (keys.some((k) => !SELECTOR_KEYS.includes(k))) problems.push(`${owner.metadata.name}: selector keys ${keys}`);
    }
    expect(problems).toEqual([]);
  });

  it('each HPA, PDB and Service selects the pods of a Deployment/StatefulSet that exists', () => {
    const workloads = podTemplates(objects).filter(({ owner }) => ['Deployment', 'StatefulSet'].includes(owner.kind));
    const problems: string[] = [];
    for (const hpa of byKind(objects, 'HorizontalPodAutoscaler')) {
      const ref = hpa.spec.scaleTargetRef;
      if (!workloads.some(({ owner }) => owner.kind === ref.kind && owner.metadata.name === ref.name)) problems.push(`HPA ${hpa.metadata.name} targets missing ${ref.kind}/${ref.name}`);
    }
    for (const pdb of byKind(objects, 'PodDisruptionBudget')) {
      if (!workloads.some(({ template }) => selects(pdb.spec.selector, template.metadata.labels))) problems.push(`PDB ${pdb.metadata.name} selects no pods`);
    }
    for (const svc of byKind(objects, 'Service')) {
      const matched = workloads.filter(({ template }) => selects({ matchLabels: svc.spec.selector }, template.metadata.labels));
      if (matched.length !== 1) { problems.push(`Service ${svc.metadata.name} selects ${matched.length} workloads`); continue; }
      for (const port of svc.spec.ports) {
        const containers = matched[0].template.spec.containers;
        if (!containers.some((c: any) => resolvePort(c, port.targetPort ?? port.port) !== undefined)) problems.push(`Service ${svc.metadata.name}: targetPort ${port.targetPort} not exposed`);
      }
    }
    for (const ing of byKind(objects, 'Ingress')) {
      for (const path of ing.spec.rules.flatMap((r: any) => r.http.paths)) {
        const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === path.backend.service.name);
        if (!svc || !svc.spec.ports.some((p: any) => p.name === path.backend.service.port.name)) problems.push(`Ingress path ${path.path} -> missing ${path.backend.service.name}`);
      }
    }
    for (const sm of byKind(objects, 'ServiceMonitor')) {
      const svcs = byKind(objects, 'Service').filter((s) => selects(sm.spec.selector, s.metadata.labels));
      if (svcs.map(component).sort().join() !== [...APPS].join()) problems.push(`ServiceMonitor selects ${svcs.map(component)}`);
      if (!sm.spec.endpoints.every((e: any) => e.path === '/metrics' && svcs.every((s) => s.spec.ports.some((p: any) => p.name === e.port)))) problems.push('ServiceMonitor endpoint port/path');
    }
    expect(problems).toEqual([]);
  });

  it('HPAs use autoscaling/v2 with CPU and memory targets and scale-down stabilisation; scaled Deployments leave replicas to them', () => {
    for (const hpa of byKind(objects, 'HorizontalPodAutoscaler')) {
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.metrics.map((m: any) => m.resource.name).sort()).toEqual(['cpu', 'memory']);
      expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThan(0);
      const target = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === hpa.spec.scaleTargetRef.name)!;
      expect(target.spec.replicas).toBeUndefined();
    }
    for (const so of byKind(objects, 'ScaledObject')) {
      const target = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === so.spec.scaleTargetRef.name)!;
      expect(target).toBeDefined();
      expect(target.spec.replicas).toBeUndefined();
      // KEDA makes the HPA: never a second one for the same Deployment.
      expect(byKind(objects, 'HorizontalPodAutoscaler').filter((h) => h.spec.scaleTargetRef.name === target.metadata.name)).toEqual([]);
      expect(so.spec.triggers.map((t: any) => t.type)).toEqual(['kafka']);
    }
    for (const d of appDeployments(objects)) {
      const scaled = [...byKind(objects, 'HorizontalPodAutoscaler'), ...byKind(objects, 'ScaledObject')].some((h) => h.spec.scaleTargetRef.name === d.metadata.name);
      if (!scaled) expect(typeof d.spec.replicas).toBe('number');
    }
  });

  it('restricted securityContext on every pod and container, init containers and Jobs included', () => {
    const problems: string[] = [];
    for (const { owner, template } of podTemplates(objects)) {
      const spec = template.spec;
      const where = `${owner.kind}/${owner.metadata.name}`;
      const psc = spec.securityContext ?? {};
      if (psc.runAsNonRoot !== true) problems.push(`${where}: pod runAsNonRoot`);
      if (psc.runAsUser === 0) problems.push(`${where}: pod runAsUser 0`);
      if (psc.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${where}: pod seccompProfile`);
      if (spec.automountServiceAccountToken !== false) problems.push(`${where}: automountServiceAccountToken`);
      if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push(`${where}: host namespaces`);
      if ((spec.volumes ?? []).some((v: any) => v.hostPath)) problems.push(`${where}: hostPath volume`);
      for (const { container } of containersOf(spec)) {
        const sc = container.securityContext ?? {};
        const id = `${component(owner)}/${container.name}`;
        const check = (field: string, ok: boolean) => { if (!ok && !SECURITY_EXCEPTIONS.includes(`${id}: ${field}`)) problems.push(`${where}/${container.name}: ${field}`); };
        check('allowPrivilegeEscalation', sc.allowPrivilegeEscalation === false);
        check('readOnlyRootFilesystem', sc.readOnlyRootFilesystem === true);
        check('capabilities.drop ALL', (sc.capabilities?.drop ?? []).includes('ALL'));
        check('capabilities.add', (sc.capabilities?.add ?? []).every((c: string) => c === 'NET_BIND_SERVICE'));
        check('privileged', sc.privileged !== true);
        check('runAsUser', sc.runAsUser !== 0);
        // A read-only root needs somewhere to write temporary files.
        check('/tmp mount', (container.volumeMounts ?? []).some((m: any) => m.mountPath === '/tmp'));
      }
    }
    for (const sa of byKind(objects, 'ServiceAccount')) if (sa.automountServiceAccountToken !== false) problems.push(`ServiceAccount ${sa.metadata.name}: automount`);
    expect(problems).toEqual([]);
  });

  it('every image is pinned: a tag, never latest', () => {
    const images = podTemplates(objects).flatMap(({ template }) => containersOf(template.spec).map(({ container }) => container.image as string));
    expect(images.length).toBeGreaterThan(0);
    const bad = images.filter((image) => {
      const tag = /:([^/:@]+)$/.exec(image)?.[1];
      return !image.includes('@sha256:') && (!tag || tag === 'latest');
    });
    expect(bad).toEqual([]);
  });

  it('every object and pod template carries the standard labels', () => {
    const problems: string[] = [];
    for (const o of objects) {
      const missing = STANDARD_LABELS.filter((l) => !o.metadata.labels?.[l]);
      if (missing.length) problems.push(`${o.kind}/${o.metadata.name}: ${missing}`);
      if (o.metadata.labels?.['app.kubernetes.io/instance'] !== RELEASE) problems.push(`${o.kind}/${o.metadata.name}: instance label`);
    }
    for (const { owner, template } of podTemplates(objects)) {
      const missing = STANDARD_LABELS.filter((l) => !template.metadata.labels?.[l]);
      if (missing.length) problems.push(`${owner.kind}/${owner.metadata.name} pods: ${missing}`);
    }
    expect(problems).toEqual([]);
  });

  it('env of each service and its migration Job covers every required name of its contract, and sets no name outside it', () => {
    const problems: string[] = [];
    const workloads = [...appDeployments(objects), ...byKind(objects, 'Job').filter((j) => component(j)?.startsWith('migrate-'))];
    expect(workloads.length).toBeGreaterThanOrEqual(APPS.length);
    for (const w of workloads) {
      const app = (component(w) ?? '').replace(/^migrate-/, '') as App;
      const { required, all } = contract[app];
      const container = w.spec.template.spec.containers[0];
      const names = envNames(container, objects, problems);
      for (const missing of required.filter((n) => !names.includes(n))) problems.push(`${w.kind}/${w.metadata.name}: required ${missing} not set`);
      for (const unknown of names.filter((n) => !all.includes(n))) problems.push(`${w.kind}/${w.metadata.name}: ${unknown} is not read by ${app}`);
      const dupes = names.filter((n, i) => names.indexOf(n) !== i);
      if (dupes.length) problems.push(`${w.kind}/${w.metadata.name}: set twice: ${dupes}`);
    }
    expect(problems).toEqual([]);
  });

  it('directories the services are configured to write (*_DIR) are mounted volumes (the root filesystem is read-only)', () => {
    const problems: string[] = [];
    for (const d of appDeployments(objects)) {
      const container = d.spec.template.spec.containers[0];
      const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === container.envFrom[0].configMapRef.name)!;
      for (const [key, dir] of Object.entries(config.data as Record<string, string>).filter(([k]) => k.endsWith('_DIR'))) {
        const mount = (container.volumeMounts ?? []).find((m: any) => m.mountPath === dir);
        const volume = mount && d.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
        if (!volume?.persistentVolumeClaim) problems.push(`${d.metadata.name}: ${key}=${dir} is not a mounted PersistentVolumeClaim`);
        else if (!objects.some((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === volume.persistentVolumeClaim.claimName) && !name.startsWith('production')) problems.push(`${d.metadata.name}: claim ${volume.persistentVolumeClaim.claimName} not rendered`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('secret references point at keys the chart renders, or at an existingSecret', () => {
    const problems: string[] = [];
    for (const { owner, template } of podTemplates(objects)) {
      for (const { container } of containersOf(template.spec)) {
        for (const e of (container.env ?? []) as any[]) {
          const ref = e.valueFrom?.secretKeyRef;
          if (!ref) continue;
          const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === ref.name);
          if (!secret) continue; // an existingSecret, or the one jwt-keygen creates (checked below)
          if (!(ref.key in { ...(secret.data ?? {}), ...(secret.stringData ?? {}) }) && !ref.optional) problems.push(`${owner.metadata.name}: ${ref.name}.${ref.key} missing`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('shutdown order fits the grace period: preStop sleep + drain + request time < terminationGracePeriodSeconds', () => {
    for (const d of appDeployments(objects)) {
      const spec = d.spec.template.spec;
      const container = spec.containers[0];
      const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === container.envFrom[0].configMapRef.name)!;
      const drainMs = Number(config.data.SHUTDOWN_DRAIN_MS);
      const preStopMs = (container.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;
      expect(drainMs).toBeGreaterThan(0);
      expect(preStopMs).toBeGreaterThan(0);
      expect(spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(preStopMs + drainMs + 5000);
      expect(config.data.HOST).toBe('0.0.0.0');
      expect(container.env.find((e: any) => e.name === 'INSTANCE_ID').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
      expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    }
  });

  it('topology spread over zones and nodes selects the service own pods', () => {
    for (const d of appDeployments(objects)) {
      const constraints = d.spec.template.spec.topologySpreadConstraints ?? [];
      expect(constraints.map((c: any) => c.topologyKey).sort()).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
      for (const c of constraints) expect(selects(c.labelSelector, d.spec.template.metadata.labels)).toBe(true);
    }
  });

  it('migration Jobs and topic-init run as Helm hooks before the new version (post-install only with in-chart infra)', () => {
    const jobs = byKind(objects, 'Job').filter((j) => component(j)?.startsWith('migrate-') || component(j) === 'topic-init');
    expect(jobs.length).toBe(APPS.length + 1);
    const devInfra = byKind(objects, 'StatefulSet').some((s) => component(s) === 'postgres-primary');
    for (const job of jobs) {
      const hook = job.metadata.annotations?.['helm.sh/hook'] ?? '';
      expect(hook.split(',').sort()).toEqual(devInfra ? ['post-install', 'pre-upgrade'] : ['pre-install', 'pre-upgrade']);
      expect(job.metadata.annotations?.['helm.sh/hook-delete-policy']).toContain('before-hook-creation');
    }
    for (const job of jobs.filter((j) => component(j) !== 'topic-init')) expect(job.spec.template.spec.containers[0].args).toEqual(['migrate']);
    const topics = byKind(objects, 'Job').find((j) => component(j) === 'topic-init')!.spec.template.spec.containers[0].env.find((e: any) => e.name === 'TOPICS').value.split(' ');
    for (const topic of ['auth.user.v1', 'catalog.product.v1', 'media.asset.v1', 'profile.profile.v1']) {
      expect(topics.some((t: string) => t.endsWith(topic))).toBe(true);
      expect(topics.some((t: string) => t.endsWith(`${topic}.dlq`))).toBe(true);
    }
  });
});

describe('value-set specifics', () => {
  it('production: no dev infra, no chart-made credentials; every service reads its existingSecret and external Kafka', () => {
    const objects = render(sets.production);
    expect(byKind(objects, 'StatefulSet')).toEqual([]);
    expect(byKind(objects, 'Secret')).toEqual([]);
    expect(byKind(objects, 'Job').map(component)).not.toContain('jwt-keygen');
    for (const d of appDeployments(objects)) {
      const refs = d.spec.template.spec.containers[0].env.filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => e.valueFrom.secretKeyRef.name);
      expect(new Set(refs)).toEqual(new Set([`saas-${component(d)}`]));
      const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === d.spec.template.spec.containers[0].envFrom[0].configMapRef.name)!;
      expect(config.data.KAFKA_BROKERS).toContain('kafka.internal:9092');
      expect(config.data.KAFKA_TOPIC_REPLICATION_FACTOR).toBe('3');
    }
  });

  it('defaults: dev infra with a streaming replica; auth key from the jwt-keygen Secret', () => {
    const objects = render(sets.defaults);
    expect(byKind(objects, 'StatefulSet').map(component).sort()).toEqual(['kafka', 'postgres-primary', 'postgres-replica']);
    expect(byKind(objects, 'Deployment').map(component)).toContain('redis');
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === `${RELEASE}-saas-starter-catalog`)!;
    expect(secret.stringData.DATABASE_REPLICA_URLS).toContain('postgres-replica:5432/catalog');
    const auth = appDeployments(objects).find((d) => component(d) === 'auth')!;
    expect(auth.spec.template.spec.containers[0].env.find((e: any) => e.name === 'JWT_SIGNING_KEYS').valueFrom.secretKeyRef.name).toBe(`${RELEASE}-saas-starter-auth-jwt`);
    expect(byKind(objects, 'Job').map(component)).toContain('jwt-keygen');
  });

  it('hpa-off: no HPA, fixed replicas, and a per-service override of a default (media without PDB)', () => {
    const objects = render(sets['hpa-off']);
    expect(byKind(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    const replicas = Object.fromEntries(appDeployments(objects).map((d) => [component(d), d.spec.replicas]));
    expect(replicas).toEqual({ auth: 3, catalog: 3, media: 1, profile: 3 });
    expect(byKind(objects, 'PodDisruptionBudget').map(component).sort()).toEqual(['auth', 'catalog', 'profile']);
  });

  it('ingress-on: one Ingress routing /auth /catalog /media /profile to their Services without rewrites', () => {
    const objects = render(sets['ingress-on']);
    const [ingress] = byKind(objects, 'Ingress');
    const paths = ingress.spec.rules[0].http.paths.map((p: any) => [p.path, p.pathType, p.backend.service.name]);
    expect(paths).toEqual(APPS.map((app) => [`/${app}`, 'Prefix', `${RELEASE}-saas-starter-${app}`]));
    expect(JSON.stringify(ingress.metadata.annotations ?? {})).not.toContain('rewrite');
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${RELEASE}-saas-starter-catalog`)!;
    expect(config.data.JWT_ISSUER).toBe('http://saas.local/auth');
  });
});
