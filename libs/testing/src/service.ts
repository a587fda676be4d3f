import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { DynamicModule, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createService } from '@saas/server';
import { infra, repoRoot, type TestDatabase } from './infra';

/** Environment for a service under test, pointing at a throwaway database and the local infrastructure. */
export function serviceEnv(db: TestDatabase, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATABASE_PRIMARY_URL: db.primaryUrl,
    DATABASE_REPLICA_URLS: db.replicaUrl,
    REDIS_URL: infra.redisUrl,
    KAFKA_BROKERS: infra.kafkaBrokers,
    JWT_ISSUER: 'http://127.0.0.1:8080/auth',
    JWT_AUDIENCE: 'saas-starter',
    JWKS_URL: 'http://127.0.0.1:3001/auth/.well-known/jwks.json',
    MEDIA_URL: 'http://127.0.0.1:9/',
    ...overrides,
  };
}

export interface RunningService {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

/** Boots a service in this process exactly as main.ts does, on a free port. */
export async function bootService(
  name: string,
  module: Type<unknown> | DynamicModule,
  options: { instanceId?: string; bodyLimitBytes?: number; shutdownDrainMs?: number; port?: number } = {},
): Promise<RunningService> {
  const app = await createService(module, {
    name,
    port: 0,
    host: '127.0.0.1',
    instanceId: options.instanceId ?? `${name}-test`,
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    shutdownDrainMs: options.shutdownDrainMs ?? 0,
    handleSignals: false,
  });
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/** A loopback port that was free a moment ago (for services whose config must name their own URL). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs an app's main.ts in a child process (TypeScript through SWC) and collects its exit code and output. */
export function runMain(
  app: string,
  env: Record<string, string>,
  args: string[] = [],
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', resolve(repoRoot, `apps/${app}/src/main.ts`), ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', SWC_NODE_PROJECT: resolve(repoRoot, `apps/${app}/tsconfig.app.json`), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${app} did not exit within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Sums a Prometheus metric's samples on a running service, optionally filtered by label text. */
export async function metricValue(baseUrl: string, name: string, labelFilter = ''): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => line.includes(labelFilter))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}
