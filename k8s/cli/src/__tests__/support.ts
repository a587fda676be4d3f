/**
 * Test helpers: run the CLI as a child process (it loads the ESM-only @kubernetes/client-node, which
 * jest cannot), and read the cluster through kubectl built from the same Kubernetes version (assertions
 * go through the real API server).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../../..');
export const BIN = process.env.K8S_TOOLS_BIN ?? join(ROOT, '.local', 'tools', 'bin');
/** The test cluster lives apart from a developer's (.local/k8s, port base 16440). */
export const STATE_DIR = process.env.K8S_TEST_STATE_DIR ?? join(ROOT, '.local', 'k8s-test');
export const PORT_BASE = process.env.K8S_TEST_PORT_BASE ?? '26440';
export const KUBECONFIG = join(STATE_DIR, 'kubeconfig');
export const CLI = join(ROOT, 'k8s', 'cli', 'k8s.sh');
export const CONTROL_PLANE = join(ROOT, 'k8s', 'cluster', 'control-plane.sh');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG, NO_COLOR: '1' };
  delete env.SAAS_RELEASE;
  return env;
};

/** Runs the CLI to completion. `env` entries set to undefined are removed. */
export function cli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 150_000): Promise<Run> {
  const merged = { ...baseEnv(), ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [CLI, ...args], { cwd: ROOT, env: merged });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Starts the CLI and returns the live process (for `status` in watch mode). */
export function cliLive(args: string[]) {
  const child = spawn('bash', [CLI, ...args], { cwd: ROOT, env: baseEnv() });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  const done = new Promise<number>((r) => child.on('close', (code) => r(code ?? -1)));
  return { child, out, done };
}

export function kubectl(args: string[], input?: string, extraEnv: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(join(BIN, 'kubectl'), args, { input, encoding: 'utf8', env: { ...process.env, KUBECONFIG, ...extraEnv }, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.error ? ` ${r.error.message}` : ''}`);
  return r.stdout;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = any;

export function get(kind: string, name: string, namespace: string): Obj {
  return JSON.parse(kubectl(['get', kind, name, '-n', namespace, '-o', 'json']));
}

export function list(kind: string, namespace: string, selector?: string): Obj[] {
  return JSON.parse(kubectl(['get', kind, '-n', namespace, '-o', 'json', ...(selector ? ['-l', selector] : [])])).items;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Re-evaluates `fn` until it returns a truthy value; fails with the last value seen. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 60_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await fn();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 500)}`);
    await sleep(300);
  }
}

export const isReady = (p: Obj) =>
  !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');

export const clusterUp = () => existsSync(KUBECONFIG) && existsSync(join(STATE_DIR, 'run', 'kube-apiserver.pid'));
export const readKubeconfig = () => readFileSync(KUBECONFIG, 'utf8');
