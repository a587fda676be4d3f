import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createTestDatabase,
  eventually,
  repoRoot,
  runMain,
  serviceEnv,
  sql,
  startTestIssuer,
  uniqueName,
  type TestDatabase,
  type TestIssuer,
} from '@saas/testing';
import { smallPng, upload } from './upload-fixtures';

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

/** The real main.ts in its own process, as production runs it. */
function startMedia(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', resolve(repoRoot, 'apps/media/src/main.ts')], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', SWC_NODE_PROJECT: resolve(repoRoot, 'apps/media/tsconfig.app.json'), ...env },
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  return { child, exited, output: () => output, url: `http://127.0.0.1:${env.PORT}` };
}

describe('thumbnail worker crash mid-job', () => {
  let db: TestDatabase;
  let issuer: TestIssuer;
  let storageDir: string;
  const processes: ReturnType<typeof startMedia>[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('media_crash');
    issuer = await startTestIssuer();
    storageDir = mkdtempSync(join(tmpdir(), 'media-crash-'));
  });

  afterAll(async () => {
    for (const process of processes) process.child.kill('SIGKILL');
    await issuer?.close();
    await db?.drop();
    if (storageDir) rmSync(storageDir, { recursive: true, force: true });
  });

  it('the process dies after writing one variant; on restart the asset still reaches ready with one set of variants', async () => {
    const env = serviceEnv(db, {
      ...issuer.env,
      KAFKA_TOPIC_PREFIX: `${uniqueName('t')}.`,
      MEDIA_STORAGE_DIR: storageDir,
      LOG_LEVEL: 'warn',
    });
    const migrated = await runMain('media', env, ['migrate']);
    expect(migrated.code).toBe(0);

    const first = startMedia({ ...env, PORT: String(await freePort()), INSTANCE_ID: 'media-a', MEDIA_WORKER_CRASH_AFTER_VARIANT: 'thumb' });
    processes.push(first);
    await eventually(async () => (await fetch(`${first.url}/health/ready`)).status === 200, 60_000, 250);

    const userId = randomUUID();
    const token = await issuer.token({ sub: userId });
    const response = await upload(first.url, token, await smallPng(), 'photo.png');
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };

    // The worker picks the event up, writes the thumb, and the process is killed before committing.
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(first.output()).toContain('killing the process mid-job');
    expect(existsSync(join(storageDir, 'variants', id, 'thumb'))).toBe(true);
    const [stuck] = await sql<{ status: string; variants: number }>(
      db.primaryUrl,
      'select status, (select count(*)::int from asset_variants where asset_id = $1) as variants from assets where id = $1',
      [id],
    );
    expect(stuck).toEqual({ status: 'processing', variants: 0 });

    // A healthy replica takes over the partition (after the dead member's session times out) and redoes the job.
    const second = startMedia({ ...env, PORT: String(await freePort()), INSTANCE_ID: 'media-b' });
    processes.push(second);
    const ready = await eventually(async () => {
      const [row] = await sql<{ status: string }>(db.primaryUrl, 'select status from assets where id = $1', [id]);
      return row?.status === 'ready' ? row : undefined;
    }, 120_000, 500);
    expect(ready.status).toBe('ready');

    const variants = await sql<{ name: string }>(db.primaryUrl, 'select name from asset_variants where asset_id = $1 order by name', [id]);
    expect(variants.map((variant) => variant.name)).toEqual(['medium', 'thumb']);
    expect(readdirSync(join(storageDir, 'variants', id)).sort()).toEqual(['medium', 'thumb']);
    expect(readdirSync(join(storageDir, 'tmp')).filter((name) => name.endsWith('.part'))).toEqual([]);
    const events = await sql<{ type: string }>(db.primaryUrl, 'select type from outbox where key = $1 order by seq', [id]);
    expect(events.map((event) => event.type)).toEqual(['media.asset.uploaded.v1', 'media.asset.ready.v1']);
    const [inbox] = await sql<{ n: number }>(db.primaryUrl, "select count(*)::int as n from inbox where event_type = 'media.asset.uploaded.v1'");
    expect(inbox.n).toBe(1);

    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 240_000);
});
