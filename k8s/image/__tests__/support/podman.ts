/**
 * What the image tests need around podman: the image names the chart references, a podman runner that
 * uses the project's containers.conf (rlimits a sandbox without CAP_SYS_RESOURCE can set), the chart's
 * shutdown budget and a readiness poller.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';

export const ROOT = resolve(__dirname, '../../../..');
export const APPS = ['auth', 'catalog', 'media', 'profile'] as const;
export type App = (typeof APPS)[number];
/** The goal for every app image (uncompressed, as podman reports it). */
export const BUDGET_MB = 250;

const chart = load(readFileSync(join(ROOT, 'helm/saas-starter/Chart.yaml'), 'utf8')) as {
  appVersion: string;
};
const values = load(readFileSync(join(ROOT, 'helm/saas-starter/values.yaml'), 'utf8')) as {
  image: { repository: string };
  defaults: { shutdown: { drainMs: number; terminationGracePeriodSeconds: number } };
};

/** As the chart's `saas.image` helper renders it by default (no registry, tag = appVersion), stored by podman under localhost/. */
export const imageRef = (app: App) => `localhost/${values.image.repository}-${app}:${chart.appVersion}`;

/** The chart's defaults: the app drains this long after SIGTERM, Kubernetes kills it after the grace period. */
export const shutdown = values.defaults.shutdown;

const podmanEnv = {
  ...process.env,
  CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? join(ROOT, 'k8s/image/containers.conf'),
};

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function podman(args: string[], timeoutMs = 120_000): Promise<Result> {
  const started = Date.now();
  return new Promise((done) => {
    execFile(
      'podman',
      args,
      { env: podmanEnv, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as { code?: unknown }).code === 'number'
            ? (error as { code: number }).code
            : -1
          : 0;
        done({
          code,
          stdout: String(stdout),
          stderr: String(stderr) || (error && code === -1 ? error.message : ''),
          ms: Date.now() - started,
        });
      },
    );
  });
}

export function podmanAvailable(): boolean {
  return spawnSync('podman', ['--version'], { env: podmanEnv }).status === 0;
}

/** `podman run` flags matching the chart's pod security: read-only root filesystem with a tmpfs on /tmp,
 * no capabilities, no privilege escalation; host network so the loopback infrastructure is reachable. */
export function runFlags(env: Record<string, string>): string[] {
  return [
    '--network=host',
    '--pull=never',
    '--read-only',
    '--read-only-tmpfs=false',
    '--tmpfs=/tmp:rw,nosuid,nodev,size=64m,mode=1777',
    '--cap-drop=ALL',
    '--security-opt=no-new-privileges',
    ...Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
  ];
}

export async function waitForStatus(
  url: string,
  status: number,
  timeoutMs: number,
  alive: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === status) return;
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (!(await alive())) throw new Error(`the container exited while waiting for ${url} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}
