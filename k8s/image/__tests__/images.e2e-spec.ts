/**
 * The real container images (npm run image -- build; the Nx target images:test builds them first), run
 * with podman the way the chart runs them: read-only root filesystem with a tmpfs on /tmp, no
 * capabilities, the image's own user. For each app: runs as uid 10001, `migrate` against a throwaway
 * database exits 0, the service answers /health/live and /health/ready with 200 against the local
 * infrastructure (host network, loopback only), exits 0 on SIGTERM within the chart's grace period, and
 * a missing required setting stops it with exit 1 and one line naming the setting. With an OTLP endpoint set,
 * a traced request's span reaches a loopback collector (tracing works from the pruned dependencies).
 */
import { randomUUID } from 'node:crypto';
import {
  createTestDatabase,
  deleteTopics,
  freePort,
  infra,
  signingKeysJson,
  startJwks,
  startTraceCollector,
  uniqueName,
  type TestDatabase,
} from './support/infra';
import {
  APPS,
  BUDGET_MB,
  imageRef,
  podman,
  podmanAvailable,
  runFlags,
  shutdown,
  waitForStatus,
  type App,
} from './support/podman';

/** One required setting per app to leave out in the failure case. */
const LEFT_OUT: Record<App, string> = {
  auth: 'JWT_SIGNING_KEYS',
  catalog: 'MEDIA_URL',
  media: 'MEDIA_STORAGE_DIR',
  profile: 'DATABASE_PRIMARY_URL',
};

const run = `imgtest-${randomUUID().slice(0, 8)}`;
const topicPrefix = `${uniqueName('img')}.`;
const sizes: Partial<Record<App, number>> = {};
let jwks: Awaited<ReturnType<typeof startJwks>> | undefined;
let collector: Awaited<ReturnType<typeof startTraceCollector>> | undefined;
const databases: TestDatabase[] = [];
const containers: string[] = [];

beforeAll(async () => {
  if (!podmanAvailable())
    throw new Error(
      "podman is not installed: run 'npm run image -- build' (it installs podman and builds the images)",
    );
  const missing: string[] = [];
  for (const app of APPS)
    if ((await podman(['image', 'exists', imageRef(app)])).code !== 0) missing.push(imageRef(app));
  if (missing.length) throw new Error(`not built: ${missing.join(', ')}; run 'npm run image -- build'`);
  jwks = await startJwks();
  collector = await startTraceCollector();
}, 60_000);

afterAll(async () => {
  for (const name of containers) await podman(['rm', '--force', '--time=0', name]);
  await jwks?.close();
  await collector?.close();
  for (const db of databases) await db.drop().catch(() => undefined);
  // The services created their topics (and .dlq twins) under this run's prefix: remove them.
  await deleteTopics(topicPrefix, run);
  const lines = APPS.filter((app) => sizes[app] !== undefined).map(
    (app) => `  ${imageRef(app).padEnd(44)} ${(sizes[app]! / 1e6).toFixed(1).padStart(6)} MB`,
  );
  if (lines.length)
    console.log(`image sizes (podman, uncompressed; budget ${BUDGET_MB} MB):\n${lines.join('\n')}`);
}, 120_000);

/** Everything the app needs, pointing at the throwaway database and the local infrastructure. */
async function appEnv(app: App, db: TestDatabase, port: number): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: String(port),
    INSTANCE_ID: `${run}-${app}`,
    LOG_LEVEL: 'info',
    DATABASE_PRIMARY_URL: db.primaryUrl,
    DATABASE_REPLICA_URLS: db.replicaUrl,
    REDIS_URL: infra.redisUrl,
    KAFKA_BROKERS: infra.kafkaBrokers,
    KAFKA_CLIENT_ID: run,
    // Topics and consumer groups of this run only, so nothing reaches another environment's consumers.
    KAFKA_TOPIC_PREFIX: topicPrefix,
    ...jwks!.env,
    SHUTDOWN_DRAIN_MS: String(shutdown.drainMs),
  };
  if (app === 'auth') {
    env.JWT_ISSUER = `http://127.0.0.1:${port}/auth`;
    env.JWKS_URL = `http://127.0.0.1:${port}/auth/.well-known/jwks.json`;
    env.JWT_SIGNING_KEYS = signingKeysJson(`${run}-key`);
  }
  if (app === 'catalog') env.MEDIA_URL = 'http://127.0.0.1:9/';
  if (app === 'media') env.MEDIA_STORAGE_DIR = '/var/lib/media';
  return env;
}

describe.each(APPS)('image %s', (app) => {
  const ref = imageRef(app);
  const name = `${run}-${app}`;
  let db: TestDatabase;
  let env: Record<string, string>;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase(`img_${app}`);
    databases.push(db);
    port = await freePort();
    env = await appEnv(app, db, port);
  }, 60_000);

  it('is within the size budget, runs node as uid 10001 in exec form', async () => {
    const inspect = await podman(['image', 'inspect', ref]);
    expect(inspect.code).toBe(0);
    const [image] = JSON.parse(inspect.stdout) as {
      Size: number;
      Config: { User: string; Entrypoint: string[]; Env: string[] };
    }[];
    sizes[app] = image.Size;
    expect(image.Config.User).toBe('10001:10001');
    expect(image.Config.Entrypoint).toEqual(['node', '/app/main.js']);
    expect(image.Config.Env).toContain('NODE_ENV=production');
    expect(image.Size / 1e6).toBeLessThanOrEqual(BUDGET_MB);
  });

  it('started with no settings, names every required one; the settings given here cover them all', async () => {
    // The image's own contract (its config schema): every missing required setting, on one line.
    const result = await podman(['run', '--rm', ...runFlags({}), ref], 60_000);
    const lines = `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.trim());
    expect({ code: result.code, lines: lines.length }).toEqual({ code: 1, lines: 1 });
    const required = [...lines[0].matchAll(/([A-Z][A-Z0-9_]+) is required/g)].map((m) => m[1]);
    expect(required).toContain('DATABASE_PRIMARY_URL');
    expect(required).toContain(LEFT_OUT[app]);
    expect(required.filter((setting) => !env[setting])).toEqual([]);
  }, 90_000);

  it('migrate applies the migrations to a fresh database and exits 0', async () => {
    const result = await podman(['run', '--rm', ...runFlags(env), ref, 'migrate'], 120_000);
    expect({ code: result.code, output: `${result.stdout}${result.stderr}`.slice(-2000) }).toEqual({
      code: 0,
      output: expect.stringMatching(/applied|up to date/),
    });
  }, 150_000);

  it('serves live and ready as uid 10001 on a read-only root filesystem, and exits 0 on SIGTERM within the grace period', async () => {
    containers.push(name);
    // With an OTLP endpoint (the test's collector), so tracing is on in this run.
    const flags = runFlags({ ...env, ...collector!.env });
    // Media writes its files under MEDIA_STORAGE_DIR (the chart mounts a volume there).
    if (app === 'media') flags.push('--tmpfs=/var/lib/media:rw,nosuid,nodev,size=64m,U'); // U: owned by the image's user, like fsGroup
    const started = await podman(['run', '--detach', '--name', name, ...flags, ref]);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const alive = async () =>
      (await podman(['inspect', '--format', '{{.State.Running}}', name])).stdout.trim() === 'true';
    const logs = async () => {
      const out = await podman(['logs', name]);
      return `${out.stdout}${out.stderr}`.slice(-3000);
    };
    try {
      await waitForStatus(`http://127.0.0.1:${port}/health/live`, 200, 90_000, alive);
      await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, 90_000, alive);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- container output ---\n${await logs()}`);
    }

    // The process (PID 1, node) runs as 10001:10001; the root filesystem is read-only, /tmp is writable.
    const status = await podman(['exec', name, 'cat', '/proc/1/status']);
    expect(status.stdout).toMatch(/^Uid:\s+10001\s+10001\s+10001\s+10001$/m);
    expect(status.stdout).toMatch(/^Gid:\s+10001\s+10001\s+10001\s+10001$/m);
    expect(
      (await podman(['exec', name, 'cat', '/proc/1/cmdline'])).stdout.split('\0').filter(Boolean),
    ).toEqual(['node', '/app/main.js']);
    const writeApp = await podman(['exec', name, 'touch', '/app/probe']);
    expect(writeApp.code).not.toBe(0);
    expect(writeApp.stderr).toContain('Read-only file system');
    expect((await podman(['exec', name, 'touch', '/tmp/probe'])).code).toBe(0);

    // Tracing works from the image's pruned dependencies: a traced request's span reaches the collector.
    const traced = await fetch(`http://127.0.0.1:${port}/${app}/no-such-route`);
    expect(traced.status).toBe(404);
    await collector!.exportFrom(app, 30_000);

    // SIGTERM (podman stop): readiness fails, the app drains for drainMs, then exits 0 by itself,
    // well before the grace period after which podman (like the kubelet) would SIGKILL it.
    const stop = await podman(
      ['stop', '--time', String(shutdown.terminationGracePeriodSeconds), name],
      (shutdown.terminationGracePeriodSeconds + 30) * 1000,
    );
    expect(stop.code).toBe(0);
    const exit = await podman(['inspect', '--format', '{{.State.ExitCode}}', name]);
    const output = await logs();
    expect({ exitCode: exit.stdout.trim(), output }).toEqual({ exitCode: '0', output: expect.any(String) });
    expect(stop.ms).toBeGreaterThanOrEqual(shutdown.drainMs - 500);
    expect(stop.ms).toBeLessThan(shutdown.terminationGracePeriodSeconds * 1000);
    console.log(
      `${app}: stopped in ${stop.ms} ms (drain ${shutdown.drainMs} ms, grace ${shutdown.terminationGracePeriodSeconds} s)`,
    );
  }, 240_000);

  it(`exits 1 with one line naming a missing required setting (${LEFT_OUT[app]})`, async () => {
    const setting = LEFT_OUT[app];
    const without = Object.fromEntries(Object.entries(env).filter(([key]) => key !== setting));
    const result = await podman(['run', '--rm', ...runFlags(without), ref], 60_000);
    const lines = `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.trim());
    expect({ code: result.code, lines }).toEqual({
      code: 1,
      lines: [expect.stringMatching(new RegExp(`^Invalid configuration: ${setting} is required$`))],
    });
  }, 90_000);
});
