/**
 * The container image's build steps, verified without a Docker engine: the Dockerfile runs
 * scripts/image/build-app.sh, and so does this test. It builds catalog into a temporary directory
 * outside the repository (no root node_modules reachable), checks only production dependencies at the
 * root lockfile's versions were installed, then runs `node main.js migrate` and `node main.js` from
 * there against the local infrastructure (.local/infra.env) and waits for /health/live and /health/ready.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, envContract } from './support/tools';

const APP = 'catalog';
const BUILD_TIMEOUT_MS = 15 * 60_000;

function infraEnv(): Record<string, string> {
  const file = process.env.INFRA_ENV_FILE ?? join(ROOT, '.local/infra.env');
  if (!existsSync(file)) throw new Error(`${file} is missing: run 'npm run infra -- up' first`);
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => [m[1], m[2]]),
  );
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

async function waitFor(url: string, status: number, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === status) return res;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not return ${status} within ${timeoutMs} ms (last: ${last})`);
}

describe('scripts/image/build-app.sh (what the Dockerfile runs)', () => {
  it('the Dockerfile builds with this script, runs as uid 10001 and starts node in exec form', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG APP$/m);
    expect(dockerfile).toContain('bash scripts/image/build-app.sh "$APP" /out');
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m); // Node 24 LTS
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/app\/main\.js"\]$/m);
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', 'dist', '.local', '.git']) expect(ignore).toContain(entry);
  });

  it('refuses an unknown app and an output directory inside the repository', () => {
    const unknown = spawnSync('bash', ['scripts/image/build-app.sh', 'billing', join(tmpdir(), 'x')], { cwd: ROOT, encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown app 'billing'");
    const inside = spawnSync('bash', ['scripts/image/build-app.sh', APP, join(ROOT, 'tmp/image-out')], { cwd: ROOT, encoding: 'utf8' });
    expect(inside.status).toBe(2);
    expect(inside.stderr).toContain('must be outside the repository');
    expect(existsSync(join(ROOT, 'tmp/image-out'))).toBe(false);
  });

  describe(`${APP} built and started from its pruned output`, () => {
    let out: string;
    let child: ChildProcess | undefined;
    let logs = '';

    beforeAll(() => {
      out = mkdtempSync(join(tmpdir(), `saas-image-${APP}-`));
      // Prefer the npm cache the root `npm ci` filled (same versions and integrity): no network needed.
      const build = spawnSync('bash', ['scripts/image/build-app.sh', APP, out], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, npm_config_prefer_offline: 'true' },
        timeout: BUILD_TIMEOUT_MS,
      });
      if (build.status !== 0) throw new Error(`build-app.sh failed (${build.status}):\n${build.stderr.slice(-4000)}`);
    }, BUILD_TIMEOUT_MS);

    afterAll(async () => {
      if (child && child.exitCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child!.once('exit', r));
      }
      rmSync(out, { recursive: true, force: true });
    });

    it('holds only production dependencies, at the root package-lock.json versions', () => {
      expect(existsSync(join(out, 'main.js'))).toBe(true);
      const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies?: object };
      expect(pkg.devDependencies).toBeUndefined();
      const rootLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
      const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
      const mismatched: string[] = [];
      for (const name of Object.keys(pkg.dependencies)) {
        const installed = JSON.parse(readFileSync(join(out, 'node_modules', name, 'package.json'), 'utf8')).version;
        if (installed !== rootLock.packages[`node_modules/${name}`]?.version) mismatched.push(`${name}@${installed}`);
      }
      expect(mismatched).toEqual([]);
      const installed = readdirSync(join(out, 'node_modules'));
      for (const dev of ['jest', 'nx', '@nx', 'typescript', 'eslint', '@swc', 'webpack']) expect(installed).not.toContain(dev);
      expect(Object.keys(rootPkg.devDependencies).filter((d) => pkg.dependencies[d])).toEqual([]);
      // Nothing of the repository is reachable from there: a dev dependency does not resolve.
      const probe = spawnSync(process.execPath, ['-e', "require.resolve('jest')"], { cwd: out, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
      expect(probe.status).not.toBe(0);
      expect(probe.stderr).toContain("Cannot find module 'jest'");
    });

    it('migrates, serves, reports live and ready, names the replica, and exits on SIGTERM', async () => {
      const infra = infraEnv();
      const port = await freePort();
      // Only what the container gets: no NODE_PATH, no repository on the module path (cwd is outside it).
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        INSTANCE_ID: 'image-test-0',
        DATABASE_PRIMARY_URL: `${infra.DATABASE_PRIMARY_URL_BASE}/${APP}`,
        DATABASE_REPLICA_URLS: `${infra.DATABASE_REPLICA_URL_BASE}/${APP}`,
        REDIS_URL: infra.REDIS_URL,
        KAFKA_BROKERS: infra.KAFKA_BROKERS,
        KAFKA_CLIENT_ID: 'image-test',
        JWT_ISSUER: 'http://localhost:8080/auth',
        JWT_AUDIENCE: 'saas-starter',
        JWKS_URL: 'http://127.0.0.1:3001/auth/.well-known/jwks.json',
        SHUTDOWN_DRAIN_MS: '200',
        LOG_LEVEL: 'warn',
        MEDIA_URL: 'http://127.0.0.1:3003',
      };
      // A newly required setting must be given a value here first (the contract is the source of truth).
      expect(envContract()[APP].required.filter((name) => !env[name])).toEqual([]);
      const migrate = spawnSync(process.execPath, ['main.js', 'migrate'], { cwd: out, env, encoding: 'utf8', timeout: 60_000 });
      expect(`${migrate.status} ${migrate.stderr}`).toMatch(/^0 /);

      child = spawn(process.execPath, ['main.js'], { cwd: out, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d) => (logs += d));
      child.stderr!.on('data', (d) => (logs += d));
      try {
        const live = await waitFor(`http://127.0.0.1:${port}/health/live`, 200, 60_000);
        expect(live.headers.get('x-served-by')).toContain('image-test-0');
        await waitFor(`http://127.0.0.1:${port}/health/ready`, 200, 60_000);
        const docs = await fetch(`http://127.0.0.1:${port}/${APP}/docs/openapi.json`);
        expect(docs.status).toBe(200);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- service output ---\n${logs.slice(-3000)}`);
      }
      const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }, 180_000);
  });
});
