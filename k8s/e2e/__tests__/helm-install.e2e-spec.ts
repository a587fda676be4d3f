/**
 * `helm install` proven end to end on the one-node cluster whose pods really run (k8s/cluster), with the
 * images built from the root Dockerfile (k8s/image) and the infrastructure outside the cluster — the
 * production shape: the local Postgres primary + replica and Redis reached through the host end of the pod
 * network (k8s/e2e/host-bridge.mjs), Kafka through a listener of its own there (KAFKA_POD_LISTENER).
 * Then, through the Services: register, log in, admin writes, reads from two pods, an image upload whose
 * thumbnails arrive through Kafka, and the profile made from auth's event.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually, infra, signingKeys, sql } from '@saas/testing';

const ROOT = resolve(__dirname, '../../..');
const BIN = join(ROOT, '.local', 'tools', 'bin');
const KUBECONFIG = join(ROOT, '.local', 'k8s-node', 'kubeconfig');
const HOST = '10.77.0.1'; // the host end of the pod network (k8s/cluster/cluster.sh: K8S_NODE_LINK_CIDR .1)
const KAFKA_POD_PORT = 59094;
// The local infrastructure's ports (from .local/infra.env, loaded by scripts/run-jest.mjs).
const PG_PRIMARY_PORT = Number(process.env.PG_PRIMARY_PORT ?? 55432);
const PG_REPLICA_PORT = Number(process.env.PG_REPLICA_PORT ?? 55433);
const REDIS_PORT = Number(process.env.REDIS_PORT ?? 56379);
const NS = 'saas-e2e';
const RELEASE = 'saas-starter'; // fullname = release name, so objects are saas-starter-<component>
const APPS = ['auth', 'catalog', 'media', 'profile'] as const;
const PORTS = { auth: 3001, catalog: 3002, media: 3003, profile: 3004 } as const;
const ADMIN = { email: 'e2e-admin@example.com', password: 'correct horse battery staple' };
const DB = (app: string) => `k8s_e2e_${app}`;
const MEDIA_DIR = join(ROOT, '.local', 'k8s-e2e', 'media');

/** One GET on a new TCP connection (kube-proxy picks an endpoint per connection; fetch would keep one alive). */
function getOnNewConnection(url: string): Promise<{ status: number; servedBy: string; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent: false, timeout: 10_000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, servedBy: String(response.headers['x-served-by'] ?? ''), body }));
    }).on('error', reject);
  });
}

function sh(cmd: string, args: string[], options: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): string {
  const result = spawnSync(cmd, args, {
    cwd: ROOT,
    input: options.input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, KUBECONFIG, ...options.env },
  });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.status ?? result.error?.message}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}
const kubectl = (args: string[], input?: string) => sh(join(BIN, 'kubectl'), args, { input });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const getJson = (args: string[]): any => JSON.parse(kubectl(['get', ...args, '-n', NS, '-o', 'json']));

/** The local Kafka gets a listener on the pod network's host address (restarted once if it lacks it). Returns true if it restarted it. */
function kafkaOnPodNetwork(): boolean {
  const config = readFileSync(join(process.env.INFRA_DIR ?? join(ROOT, '.local', 'infra'), 'kafka', 'server.properties'), 'utf8');
  if (config.includes(`POD://${HOST}:${KAFKA_POD_PORT}`)) return false;
  sh('bash', ['scripts/infra/infra.sh', 'stop', 'kafka']);
  sh('bash', ['scripts/infra/infra.sh', 'start', 'kafka'], { env: { KAFKA_POD_LISTENER: `${HOST}:${KAFKA_POD_PORT}` }, timeoutMs: 180_000 });
  return true;
}

const clusterIsUp = () => spawnSync('bash', ['k8s/cluster/cluster.sh', 'status'], { cwd: ROOT, stdio: 'ignore', timeout: 60_000 }).status === 0;

async function bridge(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'k8s/e2e/host-bridge.mjs'), HOST, ...[PG_PRIMARY_PORT, PG_REPLICA_PORT, REDIS_PORT].map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  await eventually(async () => output.includes('ready') || child.exitCode !== null, 10_000, 100);
  if (!output.includes('ready')) throw new Error(`host bridge did not start: ${output}`);
  return child;
}

function secretFor(app: (typeof APPS)[number], keys: string): string {
  const url = (port: number) => `postgres://saas:saas@${HOST}:${port}/${DB(app)}`;
  const data: Record<string, string> = {
    DATABASE_PRIMARY_URL: url(PG_PRIMARY_PORT),
    DATABASE_REPLICA_URLS: url(PG_REPLICA_PORT),
    REDIS_URL: `redis://${HOST}:${REDIS_PORT}`,
    ...(app === 'auth' ? { JWT_SIGNING_KEYS: keys } : {}),
  };
  return JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `e2e-${app}`, namespace: NS }, stringData: data });
}

const mediaVolume = () => `
apiVersion: v1
kind: PersistentVolume
metadata: { name: saas-e2e-media }
spec:
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  claimRef: { namespace: ${NS}, name: media-e2e }
  hostPath: { path: ${MEDIA_DIR}, type: Directory }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: media-e2e, namespace: ${NS} }
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  volumeName: saas-e2e-media
  resources: { requests: { storage: 1Gi } }
`;

const values = (topicPrefix: string) => ({
  image: { pullPolicy: 'Never' },
  devInfra: { enabled: false },
  jwtKeygen: { enabled: false },
  kafka: { brokers: `${HOST}:${KAFKA_POD_PORT}`, topicPrefix, topicInit: { enabled: false } },
  // Two pods each, small requests: the node has two shared cores.
  defaults: { replicaCount: 2, autoscaling: { enabled: false }, resources: { requests: { cpu: '50m', memory: '160Mi' }, limits: { cpu: '1', memory: '512Mi' } } },
  services: {
    auth: { existingSecret: 'e2e-auth', env: { AUTH_ADMIN_EMAILS: ADMIN.email } },
    catalog: { existingSecret: 'e2e-catalog' },
    media: { existingSecret: 'e2e-media', storage: { dir: '/var/lib/media', existingClaim: 'media-e2e' } },
    profile: { existingSecret: 'e2e-profile' },
  },
});

describe('helm install on a real node (pods run, Services answer)', () => {
  let hostBridge: ChildProcess | undefined;
  // What this suite changed, so it leaves the machine as it found it.
  let startedCluster = false;
  let restartedKafka = false;
  const serviceUrl: Record<string, string> = {};

  const call = async (app: (typeof APPS)[number], method: string, path: string, options: { body?: unknown; token?: string; form?: FormData } = {}) => {
    const response = await fetch(`${serviceUrl[app]}/${app}${path}`, {
      method,
      headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body ? { 'content-type': 'application/json' } : {}) },
      body: options.form ?? (options.body ? JSON.stringify(options.body) : undefined),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as any };
  };

  beforeAll(async () => {
    startedCluster = !clusterIsUp();
    sh('bash', ['k8s/cluster/cluster.sh', 'up'], { timeoutMs: 1_200_000 });
    sh('bash', ['k8s/image/build.sh', 'build'], { timeoutMs: 1_800_000 });
    sh('bash', ['k8s/image/build.sh', 'save'], { timeoutMs: 600_000 });
    sh('bash', ['k8s/cluster/cluster.sh', 'load-images'], { timeoutMs: 600_000 });
    restartedKafka = kafkaOnPodNetwork();
    hostBridge = await bridge();
    for (const app of APPS) {
      await sql(`${infra.primaryBase}/postgres`, `drop database if exists ${DB(app)} with (force)`);
      await sql(`${infra.primaryBase}/postgres`, `create database ${DB(app)}`);
    }
    rmSync(MEDIA_DIR, { recursive: true, force: true });
    mkdirSync(MEDIA_DIR, { recursive: true });
    chownSync(MEDIA_DIR, 10001, 10001);
    sh(join(BIN, 'helm'), ['uninstall', RELEASE, '-n', NS, '--ignore-not-found', '--wait']);
    kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=180s']);
    kubectl(['delete', 'pv', 'saas-e2e-media', '--ignore-not-found']);
    kubectl(['create', 'namespace', NS]);
    const keys = signingKeys('e2e-key').json;
    for (const app of APPS) kubectl(['apply', '-f', '-'], secretFor(app, keys));
    kubectl(['apply', '-f', '-'], mediaVolume());
    const valuesFile = join(tmpdir(), `saas-e2e-values-${process.pid}.json`);
    writeFileSync(valuesFile, JSON.stringify(values(`e2e${Date.now()}.`)));
    const started = Date.now();
    sh(join(BIN, 'helm'), ['install', RELEASE, 'helm/saas-starter', '-n', NS, '-f', valuesFile, '--wait', '--timeout', '15m'], { timeoutMs: 1_000_000 });
    process.stdout.write(`helm install --wait took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    for (const app of APPS) {
      const svc = getJson(['service', `${RELEASE}-${app}`]);
      serviceUrl[app] = `http://${svc.spec.clusterIP}:${PORTS[app]}`;
    }
  }, 3_600_000);

  afterAll(async () => {
    hostBridge?.kill('SIGTERM');
    if (process.env.K8S_E2E_KEEP === '1') return; // leave the release running to look at it
    const quietly = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: ROOT, env: { ...process.env, KUBECONFIG }, timeout: 180_000 });
    quietly(join(BIN, 'helm'), ['uninstall', RELEASE, '-n', NS, '--wait']);
    quietly(join(BIN, 'kubectl'), ['delete', 'namespace', NS, '--wait=false']);
    quietly(join(BIN, 'kubectl'), ['delete', 'pv', 'saas-e2e-media', '--wait=false']);
    if (startedCluster) quietly('bash', ['k8s/cluster/cluster.sh', 'down']);
    if (restartedKafka) {
      quietly('bash', ['scripts/infra/infra.sh', 'stop', 'kafka']);
      quietly('bash', ['scripts/infra/infra.sh', 'start', 'kafka']);
    }
    for (const app of APPS) await sql(`${infra.primaryBase}/postgres`, `drop database if exists ${DB(app)} with (force)`).catch(() => undefined);
  }, 600_000);

  it('runs every pod Ready with zero restarts, and applied every migration through the hook Jobs', async () => {
    const pods = getJson(['pods']).items;
    const apps = pods.filter((pod: { metadata: { labels: Record<string, string> } }) => !pod.metadata.labels['job-name']);
    expect(apps).toHaveLength(8);
    for (const pod of apps) {
      const ready = pod.status.conditions.find((c: { type: string }) => c.type === 'Ready')?.status;
      const restarts = pod.status.containerStatuses.reduce((sum: number, c: { restartCount: number }) => sum + c.restartCount, 0);
      expect({ pod: pod.metadata.name, ready, restarts }).toEqual({ pod: pod.metadata.name, ready: 'True', restarts: 0 });
    }
    for (const app of APPS) {
      const applied = await sql<{ name: string }>(`${infra.primaryBase}/${DB(app)}`, `select name from ${app}_migrations`);
      expect(applied.length).toBeGreaterThanOrEqual(2); // the outbox/inbox migration plus the service's own
    }
    const hooks = JSON.parse(sh(join(BIN, 'helm'), ['status', RELEASE, '-n', NS, '-o', 'json'])).info;
    expect(hooks.status).toBe('deployed');
  });

  it('registers, logs in, and makes the profile from auth\'s event (Kafka, from pods)', async () => {
    const registered = await call('auth', 'POST', '/register', { body: { email: `e2e-${Date.now()}@example.com`, password: ADMIN.password, displayName: 'Pod User' } });
    expect(registered.status).toBe(201);
    const profile = await eventually(async () => {
      const response = await call('profile', 'GET', `/users/${registered.body.user.id}`);
      return response.status === 200 ? response.body : undefined;
    }, 90_000, 500);
    expect(profile.displayName).toBe('Pod User');
    const me = await call('auth', 'GET', '/me', { token: registered.body.accessToken });
    expect(me.status).toBe(200);
  });

  it('lets the admin write a category and a product, read back from another pod; a bad write is a problem+json 400', async () => {
    expect((await call('auth', 'POST', '/register', { body: { ...ADMIN, displayName: 'Admin' } })).status).toBe(201);
    const login = await call('auth', 'POST', '/login', { body: ADMIN });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;
    const category = await call('catalog', 'POST', '/categories', { token, body: { name: 'Pods', slug: `pods-${Date.now()}` } });
    expect(category.status).toBe(201);
    const product = await call('catalog', 'POST', '/products', { token, body: { name: 'Kubelet lamp', priceCents: 4200, categoryId: category.body.id } });
    expect(product.status).toBe(201);
    const servedBy = new Set<string>();
    await eventually(async () => {
      const read = await getOnNewConnection(`${serviceUrl.catalog}/catalog/products/${product.body.id}`);
      if (read.status === 200 && (JSON.parse(read.body) as { name: string }).name === 'Kubelet lamp') servedBy.add(read.servedBy);
      return servedBy.size >= 2;
    }, 60_000, 100);
    expect([...servedBy].every((pod) => pod.startsWith(`${RELEASE}-catalog-`))).toBe(true);
    const bad = await call('catalog', 'POST', '/products', { token, body: { name: '', priceCents: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });

  it('uploads an image to media (a PersistentVolume) and gets its thumbnails through Kafka', async () => {
    const login = await call('auth', 'POST', '/login', { body: ADMIN });
    const token = login.body.accessToken as string;
    const { default: sharp } = await import('sharp');
    const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#29335c' } }).png().toBuffer();
    const form = new FormData();
    form.append('file', new Blob([png], { type: 'image/png' }), 'pod.png');
    const uploaded = await call('media', 'POST', '/assets', { token, form });
    expect(uploaded.status).toBe(202);
    const ready = await eventually(async () => {
      const asset = await call('media', 'GET', `/assets/${uploaded.body.id}`, { token });
      return asset.body?.status === 'ready' ? asset.body : undefined;
    }, 120_000, 500);
    expect(ready.variants.map((v: { name: string; width: number; height: number }) => [v.name, v.width, v.height]).sort()).toEqual([
      ['medium', 640, 480],
      ['thumb', 256, 256],
    ]);
    const thumb = await fetch(`${serviceUrl.media}/media/assets/${uploaded.body.id}/content/thumb`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
  });
});
