import { ObservabilityModule } from '@saas/observability';
import { HealthModule } from '@saas/server';
import { bootService, createTestDatabase, eventually, infra, metricValue, sql, type RunningService, type TestDatabase } from '@saas/testing';
import {
  CONSISTENCY_TOKEN_HEADER,
  createDatabase,
  Database,
  DatabasePoolReadiness,
  DataModule,
  PostgresPrimaryProbe,
  PostgresReplicasProbe,
  READ_NODE_HEADER,
  type DataModuleOptions,
} from '../index';
import { CreateNotes1700000000000, Note, NotesModule } from './fixtures';

describe('read/write splitting over a real primary + streaming replica', () => {
  let db: TestDatabase;
  let service: RunningService;
  let replicaAdminUrl: string;

  const post = (path: string, body: unknown) =>
    fetch(`${service.url}/notes/notes${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const get = (path: string, token?: string) =>
    fetch(`${service.url}/notes/notes${path}`, { headers: token ? { [CONSISTENCY_TOKEN_HEADER]: token } : {} });
  type Dependencies = Record<string, { state: string; details?: { replicas?: { usable: boolean }[] } }>;
  const dependencies = async () => (await (await fetch(`${service.url}/health/dependencies`)).json()) as Dependencies;
  const replicaUsable = async () => (await dependencies())['postgres-replicas']?.details?.replicas?.[0]?.usable === true;
  const checks = async (how: string) => metricValue(service.url, 'db_consistency_checks_total', `how="${how}"`);
  const readiness = async () => {
    const response = await fetch(`${service.url}/health/ready`);
    return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as { reason?: string } };
  };

  beforeAll(async () => {
    db = await createTestDatabase('rw');
    replicaAdminUrl = db.replicaUrl;
    const options: DataModuleOptions = {
      service: 'notes',
      primaryUrl: db.primaryUrl,
      replicaUrls: [db.replicaUrl],
      entities: [Note],
      migrations: [CreateNotes1700000000000],
      poolSize: 4,
      connectTimeoutMs: 1_000,
      statementTimeoutMs: 5_000,
      replicaMaxLagBytes: 16 * 1024 * 1024,
      poolStallMs: 1_500,
    };
    const migrator = createDatabase(options).primary.dataSource;
    await migrator.initialize();
    expect((await migrator.runMigrations()).map((migration) => migration.name)).toEqual(['CreateNotes1700000000000']);
    await migrator.destroy();
    service = await bootService('notes', {
      module: class NotesApp {},
      imports: [
        ObservabilityModule.forRoot({ service: 'notes', instance: 'notes-test', logLevel: 'warn' }),
        DataModule.forRoot(options),
        HealthModule.forRoot({ dependencies: [PostgresPrimaryProbe, PostgresReplicasProbe], readiness: [DatabasePoolReadiness] }),
        NotesModule,
      ],
    });
    await eventually(replicaUsable, 10_000);
  });

  afterAll(async () => {
    await sql(replicaAdminUrl, 'select pg_wal_replay_resume()').catch(() => undefined);
    await service?.close();
    await db?.drop();
  });

  it('runs reads on a server in recovery (the replica) and writes on the primary', async () => {
    const where = await get('/where');
    expect(await where.json()).toEqual({ replica: true });
    expect(where.headers.get(READ_NODE_HEADER)).toBe('replica-1');

    const created = await post('', { body: 'hello' });
    expect(created.status).toBe(201);
    expect(created.headers.get(CONSISTENCY_TOKEN_HEADER)).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
  });

  it('reads after a write in the same request go to the primary', async () => {
    const response = await post('/and-read', { body: 'same request' });
    expect(response.status).toBe(201);
    expect(((await response.json()) as Note).body).toBe('same request');
    expect(response.headers.get(READ_NODE_HEADER)).toBe('primary');
  });

  describe('with WAL replay paused on the replica', () => {
    beforeAll(() => sql(replicaAdminUrl, 'select pg_wal_replay_pause()'));
    afterAll(() => sql(replicaAdminUrl, 'select pg_wal_replay_resume()'));

    it('serves a stale read without a token, and the fresh write with one', async () => {
      const created = await post('', { body: 'written while replay is paused' });
      const note = (await created.json()) as Note;
      const token = created.headers.get(CONSISTENCY_TOKEN_HEADER)!;

      // The stale-read problem: plain splitting sends this read to a replica that has not replayed it.
      const stale = await get(`/${note.id}`);
      expect(stale.status).toBe(404);
      expect(stale.headers.get(READ_NODE_HEADER)).toBe('replica-1');

      // Read-your-writes: the token says "at least this WAL position", the replica is behind (asked on the
      // connection, since the known position is older), the primary answers.
      const asked = await checks('asked');
      const fresh = await get(`/${note.id}`, token);
      expect(await checks('asked')).toBe(asked + 1);
      expect(fresh.status).toBe(200);
      expect(((await fresh.json()) as Note).body).toBe('written while replay is paused');
      expect(fresh.headers.get(READ_NODE_HEADER)).toBe('primary');
    });

    it('ignores a malformed or hostile token (treated as absent)', async () => {
      for (const token of ['garbage', "0/0'; drop table notes; --", 'FFFFFFFFF/1', '']) {
        const response = await get('/where', token);
        expect(response.status).toBe(200);
        expect(response.headers.get(READ_NODE_HEADER)).toBe('replica-1');
      }
      const [{ n }] = await sql<{ n: number }>(db.primaryUrl, 'select count(*)::int as n from notes');
      expect(n).toBeGreaterThan(0);
    });
  });

  it('sends token reads back to the replica once it has replayed past the token', async () => {
    const created = await post('', { body: 'after resume' });
    const note = (await created.json()) as Note;
    const token = created.headers.get(CONSISTENCY_TOKEN_HEADER)!;
    const response = await eventually(async () => {
      const attempt = await get(`/${note.id}`, token);
      return attempt.headers.get(READ_NODE_HEADER) === 'replica-1' ? attempt : undefined;
    }, 5_000);
    expect(response.status).toBe(200);
  });

  it('answers a token the replica is known to have replayed without a round trip', async () => {
    const created = await post('', { body: 'known position' });
    const note = (await created.json()) as Note;
    const token = created.headers.get(CONSISTENCY_TOKEN_HEADER)!;
    // The monitor (every second here) learns the replica's replay position past the token.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const [known, asked] = [await checks('known'), await checks('asked')];
    for (let i = 0; i < 5; i++) {
      const read = await get(`/${note.id}`, token);
      expect(read.status).toBe(200);
      expect(read.headers.get(READ_NODE_HEADER)).toBe('replica-1');
    }
    expect(await checks('known')).toBe(known + 5);
    expect(await checks('asked')).toBe(asked);
  });

  it('skips a stopped replica (reads keep working on the primary, health says so) and returns to it', async () => {
    infra.control('stop', 'pg-replica');
    try {
      const during = await get('/where');
      expect(during.status).toBe(200);
      expect(await during.json()).toEqual({ replica: false });
      await eventually(async () => !(await replicaUsable()), 5_000);
      expect((await dependencies())['postgres-replicas'].state).toBe('down');
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toMatch(/db_replica_usable\{replica="replica-1"[^}]*\} 0/);
      expect(metrics).toMatch(/dependency_state\{dependency="postgres-replicas",state="down"[^}]*\} 1/);
      // A replica every instance shares is down: reported, never a reason to leave the balancer.
      expect((await readiness()).status).toBe(200);
    } finally {
      infra.control('start', 'pg-replica');
    }
    await eventually(replicaUsable, 20_000, 250);
    expect(await (await get('/where')).json()).toEqual({ replica: true });
  });

  it('fails writes fast with 503 while the primary is down, and keeps serving reads from the replica', async () => {
    const existing = (await (await post('', { body: 'before the outage' })).json()) as Note;
    await eventually(async () => (await get(`/${existing.id}`)).status === 200, 5_000);
    infra.control('stop', 'pg-primary');
    try {
      const started = Date.now();
      const write = await post('', { body: 'during the outage' });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(write.status).toBe(503);
      expect(write.headers.get('content-type')).toContain('application/problem+json');
      expect(write.headers.get('retry-after')).toBe('2');
      expect(((await write.json()) as { code: string }).code).toBe('database.unavailable');

      const read = await get(`/${existing.id}`);
      expect(read.status).toBe(200);
      expect(read.headers.get(READ_NODE_HEADER)).toBe('replica-1');
      // Still ready: the replica serves reads and writes fail fast on their own.
      expect((await readiness()).status).toBe(200);
      await eventually(async () => (await dependencies())['postgres-primary'].state === 'down', 5_000, 200);
    } finally {
      infra.control('start', 'pg-primary');
    }
    await eventually(async () => (await post('', { body: 'after the outage' })).status === 201, 20_000, 250);
    await eventually(async () => (await dependencies())['postgres-primary'].state === 'up', 5_000, 200);
  });

  it('turns unready when its own pool is wedged while the primary answers, and ready again once freed', async () => {
    const database = service.app.get(Database);
    // Leak every pooled primary connection (poolSize 4): the server is fine, this process is not.
    const leaked = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const runner = database.primary.dataSource.createQueryRunner();
        await runner.connect();
        return runner;
      }),
    );
    let writing = true;
    const writers = Array.from({ length: 3 }, async () => {
      while (writing) await post('', { body: 'waits for a connection' }).catch(() => undefined);
    });
    try {
      const unready = await eventually(async () => {
        const state = await readiness();
        return state.status === 503 ? state : undefined;
      }, 10_000, 200);
      expect(unready.type).toContain('application/problem+json');
      expect(unready.body.reason).toMatch(/databasePool: primary pool stalled: \d+ waiting, 4 connections busy/);
      expect((await dependencies())['postgres-primary'].state).toBe('up');
    } finally {
      await Promise.all(leaked.map((runner) => runner.release()));
      writing = false;
      await Promise.all(writers);
    }
    await eventually(async () => (await readiness()).status === 200, 5_000, 100);
  });
});
