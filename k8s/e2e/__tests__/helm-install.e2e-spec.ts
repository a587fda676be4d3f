/**
 * `helm install` proven end to end on the one-node cluster whose pods really run (k8s/cluster), with the
 * images built from the root Dockerfile (k8s/image) and the infrastructure outside the cluster — the
 * production shape: the local Postgres primary + replica and Redis reached through the host end of the pod
 * network (k8s/e2e/host-bridge.mjs), Kafka through a listener of its own there (KAFKA_POD_LISTENER).
 * Then, through the Services: register, log in, admin writes, reads from two pods, an image upload whose
 * thumbnails arrive through Kafka, and the profile made from auth's event.
 */
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { eventually, infra, sql } from '@saas/testing';
import { APPS, BIN, clusterIsUp, databaseName, ensureBridge, getJson as getJsonIn, installRelease, kafkaOffPodNetwork, kafkaOnPodNetwork, nodeWithImages, sh, stopBridge, uninstallRelease } from '../local-release';

const NS = 'saas-e2e';
const RELEASE = 'saas-starter'; // fullname = release name, so objects are saas-starter-<component>
const ADMIN = { email: 'e2e-admin@example.com', password: 'correct horse battery staple' };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const getJson = (args: string[]): any => getJsonIn(NS, args);

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

describe('helm install on a real node (pods run, Services answer)', () => {
  // What this suite changed, so it leaves the machine as it found it.
  let startedCluster = false;
  let restartedKafka = false;
  let serviceUrl: Record<string, string> = {};

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
    nodeWithImages();
    restartedKafka = kafkaOnPodNetwork();
    await ensureBridge();
    const { urls, installSeconds } = await installRelease({ namespace: NS, release: RELEASE, fresh: true, authEnv: { AUTH_ADMIN_EMAILS: ADMIN.email } });
    process.stdout.write(`helm install --wait took ${installSeconds.toFixed(1)} s\n`);
    serviceUrl = urls;
  }, 3_600_000);

  afterAll(async () => {
    if (process.env.K8S_E2E_KEEP === '1') return; // leave the release running to look at it
    await uninstallRelease(NS, RELEASE);
    stopBridge();
    if (startedCluster) sh('bash', ['k8s/cluster/cluster.sh', 'down']);
    if (restartedKafka) kafkaOffPodNetwork();
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
      const applied = await sql<{ name: string }>(`${infra.primaryBase}/${databaseName(NS, app)}`, `select name from ${app}_migrations`);
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
