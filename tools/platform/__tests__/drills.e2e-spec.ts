import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { eventually } from '@saas/testing';
import { api, control, LB, PLATFORM_DIR, platformStatus as status, SERVICE_PORTS, startLocalPlatform, type LocalPlatform } from './local-platform';

/** Bounded load through the balancer; returns non-2xx and error counts. */
async function load(path: string, seconds: number, during?: () => Promise<void>) {
  const run = autocannon({ url: `${LB}${path}`, connections: 8, duration: seconds, pipelining: 1 });
  const action = during ? new Promise((r) => setTimeout(r, 1_500)).then(during) : Promise.resolve();
  const [result] = await Promise.all([run, action]);
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, (stat as { count: number }).count]));
  return { requests: result.requests.total, non2xx: result.non2xx, errors: result.errors + result.timeouts, statuses };
}

describe('local platform drills (HAProxy + supervised replicas)', () => {
  let platform: LocalPlatform;

  beforeAll(async () => {
    platform = await startLocalPlatform();
  }, 240_000);

  afterAll(async () => platform?.stop(), 60_000);

  it('spreads requests fairly over two catalog replicas (each 40-60%)', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      const { response } = await api.catalog.GET('/catalog/products', { params: { query: { limit: 1 } } });
      const by = response.headers.get('x-served-by') ?? 'none';
      counts[by] = (counts[by] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['catalog-0', 'catalog-1']);
    for (const count of Object.values(counts)) expect(count / 200).toBeGreaterThanOrEqual(0.4);
  });

  it('rejects bad scale requests and leaves the platform untouched', async () => {
    const before = await status();
    expect((await control('POST', '/scale/catalog/-1')).status).toBe(400);
    expect((await control('POST', '/scale/catalog/99')).status).toBe(400);
    expect((await control('POST', '/scale/nope/2')).status).toBe(400);
    const blocker: Server = createServer();
    const catalog3 = SERVICE_PORTS.catalog + 300;
    await new Promise<void>((r) => blocker.listen(catalog3, '127.0.0.1', r)); // catalog-3's port
    try {
      const busy = await control('POST', '/scale/catalog/4');
      expect(busy.status).toBe(409);
      expect(busy.body.error).toContain(String(catalog3));
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    const after = await status();
    expect(after.catalog.desired).toBe(before.catalog.desired);
    expect(after.catalog.replicas.map((r) => r.name)).toEqual(before.catalog.replicas.map((r) => r.name));
  });

  it('kill -9 of a replica under load: zero failed requests, and the supervisor brings it back', async () => {
    const victim = (await status()).catalog.replicas[0];
    const result = await load('/catalog/products?limit=1', 6, async () => {
      await control('POST', '/kill/catalog/0');
    });
    expect(result.requests).toBeGreaterThan(100);
    expect(result).toMatchObject({ non2xx: 0, errors: 0 });
    const back = await eventually(async () => {
      const replica = (await status()).catalog.replicas[0];
      return replica.state === 'running' && replica.balancer === 'UP' && replica.pid !== victim.pid ? replica : undefined;
    }, 60_000, 500);
    expect(back.restarts).toBeGreaterThanOrEqual(1);
  });

  it('rolling restart of all catalog replicas under load: zero failed requests', async () => {
    const pids = (await status()).catalog.replicas.map((r) => r.pid);
    const result = await load('/catalog/products?limit=1', 20, async () => {
      await control('POST', '/restart/catalog');
    });
    expect(result).toMatchObject({ non2xx: 0, errors: 0 });
    const after = (await status()).catalog.replicas;
    expect(after.every((r, i) => r.pid !== pids[i] && r.state === 'running')).toBe(true);
  });

  it('scales catalog 2 -> 4 under load; new replicas take traffic without restarting the balancer', async () => {
    const haproxyPid = readFileSync(resolve(PLATFORM_DIR, 'haproxy.pid'), 'utf8').trim();
    let scaled = 0;
    const result = await load('/catalog/products?limit=1', 10, async () => {
      scaled = (await control('POST', '/scale/catalog/4')).status;
    });
    expect(scaled).toBe(200);
    // Scaling out is not a drill for zero failures (kill and rolling restart are): a handful of non-2xx
    // were seen once in ~1000 requests while two new processes booted on 2 busy cores. Bound it, show it.
    // (The whole result is in the matcher's output on failure, status codes included.)
    expect({ ...result, underOnePercent: result.non2xx / result.requests < 0.01 }).toMatchObject({ errors: 0, underOnePercent: true });
    const replicas = (await status()).catalog.replicas;
    expect(replicas).toHaveLength(4);
    for (let i = 0; i < 40; i++) await api.catalog.GET('/catalog/products', { params: { query: { limit: 1 } } });
    expect(((await status()).catalog.replicas[3]).served).toBeGreaterThan(0);
    expect(readFileSync(resolve(PLATFORM_DIR, 'haproxy.pid'), 'utf8').trim()).toBe(haproxyPid);
    expect((await control('POST', '/scale/catalog/2')).status).toBe(200);
  });

  it('registers through the balancer (profile follows via Kafka) and keeps the user logged in on replica B after A is killed', async () => {
    const email = `drill-${Date.now()}@example.com`;
    const registered = await api.auth.POST('/auth/register', { body: { email, password: 'correct horse battery', displayName: 'Drill' } });
    expect(registered.response.status).toBe(201);
    const { accessToken, user } = registered.data!;
    // auth -> outbox -> Kafka -> profile's inbox consumer: the profile appears without any sync call.
    const profile = await eventually(async () => (await api.profile.GET('/profile/users/{userId}', { params: { path: { userId: user.id } } })).data, 60_000, 250);
    expect(profile.displayName).toBe('Drill');
    const servedBy = registered.response.headers.get('x-served-by')!;
    await control('POST', `/kill/auth/${servedBy.split('-')[1]}`);
    const me = await eventually(async () => {
      const answer = await api.withToken(accessToken).auth.GET('/auth/me');
      return answer.data ? answer.response : undefined;
    }, 10_000, 200);
    expect(me.headers.get('x-served-by')).not.toBe(servedBy);
  });

  it('serves one API document at /docs listing every service (merged by the supervisor from the running replicas)', async () => {
    const response = await fetch(`${LB}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown>; tags: { name: string }[]; components: { schemas: Record<string, unknown> } };
    expect(document.openapi).toBe('3.0.0');
    const services = new Set(Object.keys(document.paths).map((path) => path.split('/')[1]));
    expect([...services].sort()).toEqual(['auth', 'catalog', 'media', 'profile']);
    expect(document.paths['/catalog/products/{id}']).toBeDefined();
    expect(document.components.schemas.ProblemDetails).toBeDefined();
    expect(document.tags.map((tag) => tag.name)).toContain('profile: profiles');
    // The same document as /docs/openapi.json; anything but GET/HEAD is a 405 problem with Allow.
    expect(((await (await fetch(`${LB}/docs/openapi.json`)).json()) as { paths: object }).paths).toEqual(document.paths);
    const post = await fetch(`${LB}/docs`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(post.headers.get('content-type')).toContain('application/problem+json');
    // Only the document is routed to the supervisor: its control API stays off the balancer.
    expect((await fetch(`${LB}/status`)).status).toBe(404);
  });
});
