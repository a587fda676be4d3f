import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createApiClient } from '@saas/api-client';
import { eventually, repoRoot, signingKeys } from '@saas/testing';

// The real local platform for drills: HAProxy in front of the built services, supervised, on test ports.
export const LB = 'http://127.0.0.1:18080';
const CONTROL = 'http://127.0.0.1:18099';
/** The services' API through the balancer, typed from their OpenAPI documents (libs/api-client). */
export const api = createApiClient({ baseUrl: LB, timeoutMs: 10_000 });
export const SERVICE_PORTS = { auth: 3001, catalog: 3002, media: 3003, profile: 3004 } as const;
export type ServiceName = keyof typeof SERVICE_PORTS;

export interface Replica { name: string; pid: number | null; port: number; state: string; balancer: string; served: number; restarts: number }
export type Status = Record<ServiceName, { desired: number; replicas: Replica[] }>;

export const control = async (method: string, path: string) => {
  const response = await fetch(`${CONTROL}${path}`, { method, signal: AbortSignal.timeout(120_000) });
  return { status: response.status, body: (await response.json()) as Status & { error?: string } };
};
export const platformStatus = async () => (await control('GET', '/status')).body;

export interface LocalPlatform {
  output(): string;
  stop(): Promise<void>;
}

/** Migrates every service, starts the supervisor with two replicas each and waits for "platform is up". */
export async function startLocalPlatform(extraEnv: Record<string, string> = {}): Promise<LocalPlatform> {
  const env = {
    ...process.env,
    JWT_SIGNING_KEYS: signingKeys('drill-key').json,
    LB_PORT: '18080',
    LB_STATS_PORT: '18404',
    PLATFORM_CONTROL_PORT: '18099',
    REPLICAS: '2',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  for (const service of Object.keys(SERVICE_PORTS)) {
    execFileSync('bash', ['scripts/service-env.sh', service, 'node', `dist/apps/${service}/main.js`, 'migrate'], { cwd: repoRoot, env, stdio: 'pipe' });
  }
  const platform: ChildProcess = spawn(process.execPath, [resolve(repoRoot, 'tools/platform/supervisor.mjs')], { cwd: repoRoot, env });
  let output = '';
  platform.stdout!.on('data', (chunk) => (output += chunk));
  platform.stderr!.on('data', (chunk) => (output += chunk));
  await eventually(async () => output.includes('platform is up') || (output.includes('[platform]') && platform.exitCode !== null), 150_000, 500);
  if (!output.includes('platform is up')) throw new Error(`platform did not start:\n${output}`);
  return {
    output: () => output,
    async stop() {
      if (platform.exitCode !== null) return;
      const exited = new Promise((r) => platform.once('exit', r));
      platform.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    },
  };
}

/** pid and restart count of every replica, to show a drill restarted nothing. */
export async function replicaLives(): Promise<Record<string, { pid: number | null; restarts: number }>> {
  const status = await platformStatus();
  return Object.fromEntries(
    (Object.keys(SERVICE_PORTS) as ServiceName[]).flatMap((service) =>
      status[service].replicas.map((replica) => [replica.name, { pid: replica.pid, restarts: replica.restarts }]),
    ),
  );
}
