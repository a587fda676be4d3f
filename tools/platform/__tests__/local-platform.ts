import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createApiClient } from '@saas/api-client';
import { eventually, repoRoot, signingKeys } from '@saas/testing';

// The real local platform for drills: HAProxy in front of the built services, supervised, on test ports.
// DRILL_PORT_OFFSET (e.g. 500) shifts every port (balancer, stats, control, replicas) and keeps the
// platform's state in its own folder, so a second drill run can share the machine with another one.
const OFFSET = Number(process.env.DRILL_PORT_OFFSET ?? 0);
export const LB_PORT = 18080 + OFFSET;
export const LB = `http://127.0.0.1:${LB_PORT}`;
const CONTROL = `http://127.0.0.1:${18099 + OFFSET}`;
/** Where the supervisor keeps haproxy.cfg, haproxy.pid, the socket and the replicas' logs. */
export const PLATFORM_DIR = resolve(repoRoot, OFFSET ? `.local/platform-drills-${OFFSET}` : '.local/platform');
/** The services' API through the balancer, typed from their OpenAPI documents (libs/api-client). */
export const api = createApiClient({ baseUrl: LB, timeoutMs: 10_000 });
export const SERVICE_PORTS = { auth: 3001 + OFFSET, catalog: 3002 + OFFSET, media: 3003 + OFFSET, profile: 3004 + OFFSET } as const;
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
    LB_PORT: String(LB_PORT),
    LB_STATS_PORT: String(18404 + OFFSET),
    PLATFORM_CONTROL_PORT: String(18099 + OFFSET),
    PLATFORM_PORT_OFFSET: String(OFFSET),
    PLATFORM_DIR,
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
