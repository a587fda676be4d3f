import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, infra, repoRoot, uniqueName, type TestDatabase } from './infra';
import { signingKeys } from './issuer';
import { freePort } from './service';

export const SERVICES = ['auth', 'catalog', 'media', 'profile'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface Stack {
  /** Base URL of each service (`http://127.0.0.1:<port>`); the API is under `/<service>`. */
  urls: Record<ServiceName, string>;
  /** Everything the services wrote to stdout/stderr, for failure messages. */
  output(service: ServiceName): string;
  /** Milliseconds from spawning each service's process to its first ready answer (cold start). */
  readyMs: Partial<Record<ServiceName, number>>;
  /** Process id of each service (e.g. to read its memory). */
  pid(service: ServiceName): number | undefined;
  stop(): Promise<void>;
}

interface Running {
  name: ServiceName;
  port: number;
  db: TestDatabase;
  child?: ChildProcess;
  output: string;
  spawnedAt?: number;
}

export interface StackOptions {
  /** Names the run: databases, topic prefix, instance ids (`<service>-<name>`), the media folder. */
  name: string;
  /** Emails that get the admin role when they register. */
  adminEmails?: string[];
  /** Extra environment for every service (e.g. OTEL_EXPORTER_OTLP_ENDPOINT). */
  env?: Record<string, string>;
  /** The builds to run: dist/apps by default (e.g. an older build, to measure what changed). */
  dist?: string;
  /** Only these services (default: all four). */
  services?: readonly ServiceName[];
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((done, fail) =>
    execFile(process.execPath, [file, ...args], { cwd: repoRoot, env, timeout: timeoutMs }, (error, stdout, stderr) =>
      error ? fail(new Error(`${file} ${args.join(' ')} failed: ${stderr || stdout || error.message}`)) : done(stdout),
    ),
  );
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1_000) });
      const body = (await response.json()) as { dependencies?: Record<string, { state: string }> };
      // Ready, and every dependency seen up once: tests must not meet a half-started service.
      if (response.ok && Object.values(body.dependencies ?? {}).every((dependency) => dependency.state === 'up')) return;
    } catch {
      // not listening yet
    }
    // Short polls: the time to ready is reported as the service's cold start.
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready within ${timeoutMs} ms`);
}

/**
 * The four services as production runs them (the built `dist/apps/<service>/main.js`, one process each),
 * on free loopback ports, each with a throwaway database, one Kafka topic prefix for all four (so profile
 * sees auth's events) and a temporary media directory. No balancer and no fixed port: it cannot collide
 * with `npm start` or the drills' platform. `adminEmails` get the admin role when they register.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const main = (service: ServiceName) => resolve(options.dist ?? resolve(repoRoot, 'dist/apps'), service, 'main.js');
  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (name) => [name, await freePort()]))) as Record<ServiceName, number>;
  const urls = Object.fromEntries(SERVICES.map((name) => [name, `http://127.0.0.1:${ports[name]}`])) as Record<ServiceName, string>;
  const mediaDir = mkdtempSync(join(tmpdir(), `${options.name}-media-`));
  const topicPrefix = `${uniqueName(options.name)}.`;
  const keys = signingKeys(`${options.name}-key`);
  const running: Running[] = [];
  const readyMs: Stack['readyMs'] = {};
  const stop = async () => {
    await Promise.all(
      running.map(async (service) => {
        const child = service.child;
        if (child && child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }
        await service.db.drop().catch(() => undefined);
      }),
    );
    rmSync(mediaDir, { recursive: true, force: true });
  };
  try {
    for (const name of options.services ?? SERVICES) running.push({ name, port: ports[name], db: await createTestDatabase(`${options.name}_${name}`), output: '' });
    const envOf = (service: Running): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: String(service.port),
      HOST: '127.0.0.1',
      INSTANCE_ID: `${service.name}-${options.name}`,
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_MS: '0',
      DATABASE_PRIMARY_URL: service.db.primaryUrl,
      DATABASE_REPLICA_URLS: service.db.replicaUrl,
      REDIS_URL: infra.redisUrl,
      KAFKA_BROKERS: infra.kafkaBrokers,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      JWT_ISSUER: `${urls.auth}/auth`,
      JWT_AUDIENCE: 'saas-starter',
      JWKS_URL: `${urls.auth}/auth/.well-known/jwks.json`,
      JWT_SIGNING_KEYS: keys.json,
      AUTH_ADMIN_EMAILS: (options.adminEmails ?? []).join(','),
      MEDIA_URL: urls.media,
      MEDIA_STORAGE_DIR: mediaDir,
      ...options.env,
    });
    // Migrations are idempotent: one more try when a busy machine makes a connection time out.
    const migrate = async (service: Running) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await run(main(service.name), ['migrate'], envOf(service), 60_000);
        } catch (error) {
          if (attempt >= 3 || !/timeout|ECONNREFUSED|terminated/i.test((error as Error).message)) throw error;
          await new Promise((r) => setTimeout(r, 2_000));
        }
      }
    };
    await Promise.all(running.map(migrate));
    for (const service of running) {
      const child = spawn(process.execPath, [main(service.name)], { cwd: repoRoot, env: envOf(service), stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (chunk) => (service.output += chunk));
      child.stderr?.on('data', (chunk) => (service.output += chunk));
      service.child = child;
      service.spawnedAt = performance.now();
    }
    await Promise.all(
      running.map((service) =>
        waitReady(urls[service.name], service.child as ChildProcess, 90_000).then(
          () => void (readyMs[service.name] = performance.now() - (service.spawnedAt ?? 0)),
          (error: Error) => {
            throw new Error(`${service.name}: ${error.message}\n${service.output}`);
          },
        ),
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const find = (name: ServiceName) => running.find((service) => service.name === name);
  return { urls, output: (name) => find(name)?.output ?? '', readyMs, pid: (name) => find(name)?.child?.pid, stop };
}
