import { eventually, infra, sql } from '@saas/testing';
import { api, platformStatus, replicaLives, SERVICE_PORTS, startLocalPlatform, type LocalPlatform, type ServiceName } from './local-platform';
import { SteadyTraffic, summarize, type Sample, type TrafficSummary } from './steady-traffic';

// Degrade, never die: shared dependencies go down one at a time under steady reads and a trickle of
// writes, all through HAProxy (http://127.0.0.1:18080 here, 8080 under `npm start`). Readiness must
// keep every replica in the balancer; each request degrades by the documented CAP choice.

type Component = 'pg-primary' | 'pg-replica' | 'redis' | 'kafka';
const DEPENDENCY_OF: Record<Component, string> = {
  'pg-primary': 'postgres-primary',
  'pg-replica': 'postgres-replicas',
  redis: 'redis',
  kafka: 'kafka',
};
const ADMIN_EMAIL = `outage-admin-${Date.now()}@example.com`;
const PASSWORD = 'correct horse battery';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  outage: string;
  reads: TrafficSummary;
  writes: TrafficSummary;
  duringP99Ms: number;
  recoverySeconds: number;
  /** Anything else the drill measured for this outage. */
  note?: string;
}

const isProblem = (sample: Sample) => sample.contentType?.startsWith('application/problem+json') === true;

async function register(email: string) {
  const { data, response } = await api.auth.POST('/auth/register', { body: { email, password: PASSWORD, displayName: 'Outage drill' } });
  if (!data) throw new Error(`register ${email}: ${response.status}`);
  return data;
}

/** Every replica of every service says `dependency` is up (asked directly, not through the balancer). */
async function everyReplicaSeesUp(dependency: string): Promise<boolean> {
  const status = await platformStatus();
  const checks = (Object.keys(SERVICE_PORTS) as ServiceName[]).flatMap((service) =>
    status[service].replicas.map(async (replica) => {
      const response = await fetch(`http://127.0.0.1:${replica.port}/health/dependencies`, { signal: AbortSignal.timeout(2_000) });
      const states = (await response.json()) as Record<string, { state: string }>;
      return states[dependency]?.state === 'up';
    }),
  );
  return (await Promise.all(checks)).every(Boolean);
}

describe('dependency outages through the balancer: reads never fail, writes follow the CAP choices', () => {
  let platform: LocalPlatform;
  let traffic: SteadyTraffic;
  const registered: { id: string; at: number }[] = [];
  const rows: Row[] = [];
  let restartsBefore: Record<string, { pid: number | null; restarts: number }>;

  /** Stops `components` for `seconds` under the running traffic; returns what clients saw. */
  async function outage(label: string, components: Component[], seconds: number) {
    const from = Date.now();
    await Promise.all(components.map((component) => infra.controlAsync('stop', component)));
    const down = Date.now();
    await sleep(seconds * 1000);
    const restoring = Date.now();
    // The primary first: the replica streams from it.
    for (const component of [...components].sort()) await infra.controlAsync('start', component);
    const restored = Date.now();
    for (const component of components) await eventually(() => everyReplicaSeesUp(DEPENDENCY_OF[component]), 60_000, 250);
    const recovered = Date.now();
    await sleep(500);
    const whole = traffic.between(from, Date.now());
    const during = traffic.between(down, restoring);
    const row: Row = {
      outage: `${label} down ${seconds} s`,
      reads: summarize(whole.reads),
      writes: summarize(whole.writes),
      duringP99Ms: summarize(during.reads).p99Ms,
      recoverySeconds: (recovered - restored) / 1000,
    };
    rows.push(row);
    return { row, whole, during, down, restoring, restored };
  }

  beforeAll(async () => {
    platform = await startLocalPlatform({ AUTH_ADMIN_EMAILS: ADMIN_EMAIL, RATE_LIMIT_REGISTER_PER_IP: '100000' });
    const admin = await register(ADMIN_EMAIL);
    const reader = await register(`outage-reader-${Date.now()}@example.com`);
    const slug = `outage-${Date.now()}`;
    const asAdmin = api.withToken(admin.accessToken);
    const category = (await asAdmin.catalog.POST('/catalog/categories', { body: { name: 'Outage drill', slug } })).data!;
    const products: string[] = [];
    for (let i = 0; i < 12; i++) {
      const created = await asAdmin.catalog.POST('/catalog/products', { body: { name: `Drill lamp ${i}`, priceCents: 1000 + i, categoryId: category.id } });
      if (!created.data) throw new Error(`create product: ${created.response.status} ${JSON.stringify(created.error)}`);
      products.push(created.data.id);
    }
    await eventually(async () => (await api.profile.GET('/profile/users/{userId}', { params: { path: { userId: reader.user.id } } })).response.status === 200, 60_000, 250);
    restartsBefore = await replicaLives();

    const words = ['lamp', 'drill', 'outage', 'lamp 3', 'drill lamp'];
    let turn = 0;
    const readPath = () => {
      turn++;
      switch (turn % 4) {
        case 0:
          return `/catalog/products?limit=5&q=${encodeURIComponent(words[turn % words.length])}`;
        case 1:
          return `/catalog/products?limit=${1 + (turn % 20)}&categoryId=${category.id}`;
        case 2:
          return `/catalog/products/${products[turn % products.length]}`;
        default:
          return `/profile/users/${reader.user.id}`;
      }
    };
    let writeTurn = 0;
    traffic = new SteadyTraffic(
      readPath,
      [
        {
          kind: 'register',
          send: async () => {
            const { data, response } = await api.auth.POST('/auth/register', {
              body: { email: `outage-${Date.now()}-${writeTurn++}@example.com`, password: PASSWORD, displayName: 'Trickle' },
            });
            if (!data) return { response };
            registered.push({ id: data.user.id, at: Date.now() });
            return { response, note: data.user.id };
          },
        },
        {
          kind: 'profile update',
          send: async () => ({
            response: (await api.withToken(reader.accessToken).profile.PATCH('/profile/me', { body: { bio: `bio ${writeTurn++}` } })).response,
          }),
        },
        {
          kind: 'product update',
          send: async () => ({
            response: (
              await asAdmin.catalog.PATCH('/catalog/products/{id}', {
                params: { path: { id: products[writeTurn++ % products.length] } },
                body: { priceCents: 2000 + (writeTurn % 100) },
              })
            ).response,
          }),
        },
      ],
      { readers: 6, writeEveryMs: 250, maxSeconds: 600 },
    );
    traffic.start();
    await sleep(2_000);
  }, 300_000);

  afterAll(async () => {
    await traffic?.stop();
    // A failed drill must not leave the shared infrastructure half down for the next project.
    for (const component of ['pg-primary', 'pg-replica', 'redis', 'kafka'] as Component[]) {
      await infra.controlAsync('start', component).catch(() => undefined);
    }
    await platform?.stop();
  }, 120_000);

  it('Redis down 10 s: no failed read or write (cache falls through, rate limits bypassed)', async () => {
    const { row } = await outage('Redis', ['redis'], 10);
    expect(row.reads).toMatchObject({ non2xx: 0 });
    expect(row.reads.requests).toBeGreaterThan(100);
    expect(row.writes).toMatchObject({ non2xx: 0 });
  }, 120_000);

  it('Kafka down 15 s: no failed read or write; every event written meanwhile is applied exactly once afterwards', async () => {
    const { row, down, restoring, restored } = await outage('Kafka', ['kafka'], 15);
    expect(row.reads).toMatchObject({ non2xx: 0 });
    expect(row.writes).toMatchObject({ non2xx: 0 });
    const during = registered.filter((user) => user.at >= down && user.at < restoring).map((user) => user.id);
    expect(during.length).toBeGreaterThanOrEqual(5);
    // auth's outbox held the events; once Kafka is back the relay publishes them and profile applies each once.
    const profiles = await eventually(async () => {
      const rows = await sql<{ user_id: string; version: number }>(
        `${infra.primaryBase}/profile`,
        'select user_id, version from profiles where user_id = any($1::uuid[])',
        [during],
      );
      return rows.length === during.length ? rows : undefined;
    }, 60_000, 250);
    row.note = `${during.length} users registered during the outage, all profiles created ${((Date.now() - restored) / 1000).toFixed(1)} s after Kafka was back`;
    expect(profiles.every((profile) => profile.version === 1)).toBe(true);
    const events = await sql<{ id: string }>(
      `${infra.primaryBase}/auth`,
      `select id from outbox where key = any($1::text[]) and type = 'auth.user.registered.v1' and published_at is not null`,
      [during],
    );
    expect(events).toHaveLength(during.length);
    const applied = await sql<{ event_id: string; times: number }>(
      `${infra.primaryBase}/profile`,
      'select event_id, count(*)::int as times from inbox where event_id = any($1::uuid[]) group by event_id',
      [events.map((event) => event.id)],
    );
    expect(applied).toHaveLength(during.length);
    expect(applied.every((event) => event.times === 1)).toBe(true);
  }, 180_000);

  it('Postgres replica down 10 s: no failed read or write (reads move to the primary)', async () => {
    const { row } = await outage('Postgres replica', ['pg-replica'], 10);
    expect(row.reads).toMatchObject({ non2xx: 0 });
    expect(row.writes).toMatchObject({ non2xx: 0 });
  }, 120_000);

  it('Postgres primary down 10 s: reads keep working; writes fail fast with 503 problem+json, then succeed within 5 s', async () => {
    const { row, whole, down, restoring, restored } = await outage('Postgres primary', ['pg-primary'], 10);
    expect(row.reads).toMatchObject({ non2xx: 0 });
    const failed = whole.writes.filter((sample) => sample.status !== 200 && sample.status !== 201);
    const refusedDuring = traffic.between(down, restoring).writes;
    expect(refusedDuring.length).toBeGreaterThanOrEqual(5);
    for (const sample of failed) {
      expect({ kind: sample.kind, status: sample.status, problem: isProblem(sample), retryAfter: sample.retryAfter }).toEqual({
        kind: sample.kind,
        status: 503,
        problem: true,
        retryAfter: '2',
      });
      expect(sample.end - sample.start).toBeLessThanOrEqual(2_000);
    }
    expect(refusedDuring.every((sample) => sample.status === 503)).toBe(true);
    // The window above may close before the trickle's next write lands: wait for it (bounded), then time it.
    const firstSuccess = await eventually(
      async () => traffic.writes.find((sample) => sample.start >= restored && sample.status >= 200 && sample.status < 300),
      10_000,
      100,
    );
    expect({ kind: firstSuccess.kind, msAfterRestore: firstSuccess.end - restored, withinFiveSeconds: firstSuccess.end - restored <= 5_000 }).toMatchObject({
      withinFiveSeconds: true,
    });
  }, 120_000);

  it('every database node down 6 s: cached reads still served, the rest fail fast as 503 problem+json from the service', async () => {
    const { whole } = await outage('Every Postgres node', ['pg-primary', 'pg-replica'], 6);
    const failed = [...whole.reads, ...whole.writes].filter((sample) => sample.status < 200 || sample.status > 299);
    for (const sample of failed) {
      expect({ status: sample.status, problem: isProblem(sample) }).toEqual({ status: 503, problem: true });
      expect(sample.end - sample.start).toBeLessThanOrEqual(3_000);
    }
    expect(whole.reads.some((sample) => sample.status === 200)).toBe(true);
  }, 120_000);

  it('no replica was restarted, and every dependency is up everywhere again', async () => {
    expect(await replicaLives()).toEqual(restartsBefore);
    for (const dependency of Object.values(DEPENDENCY_OF)) expect(await everyReplicaSeesUp(dependency)).toBe(true);
    const table = [
      '| outage | reads | non-2xx reads | p99 during outage | writes | non-2xx writes | time to full recovery | note |',
      '|---|---:|---:|---:|---:|---:|---:|---|',
      ...rows.map(
        (row) =>
          `| ${row.outage} | ${row.reads.requests} | ${row.reads.non2xx} | ${row.duringP99Ms} ms | ${row.writes.requests} | ${row.writes.non2xx} ${JSON.stringify(row.writes.statuses)} | ${row.recoverySeconds.toFixed(1)} s | ${row.note ?? ''} |`,
      ),
    ].join('\n');
    process.stdout.write(`\nOutage drill through the balancer:\n${table}\n\n`);
  });
});
