/**
 * Helpers for the one-node cluster's e2e suite: kubectl built from the pinned Kubernetes version, run
 * against the cluster's kubeconfig; commands inside the node's network namespace through nsenter.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../..');
export const BIN = process.env.K8S_TOOLS_BIN ?? join(ROOT, '.local', 'tools', 'bin');
export const STATE_DIR = process.env.K8S_STATE_DIR ?? join(ROOT, '.local', 'k8s-node');
export const KUBECONFIG = join(STATE_DIR, 'kubeconfig');
export const CLUSTER = join(ROOT, 'k8s', 'cluster', 'cluster.sh');
export const NETNS = process.env.K8S_NODE_NETNS ?? 'saas-node';
/** Written by global setup when it started the cluster itself (teardown then stops it again). */
export const STARTED_MARK = join(STATE_DIR, 'started-by-tests');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], timeoutMs = 60_000, input?: string): Run {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', env: { ...process.env, KUBECONFIG }, timeout: timeoutMs });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? ` ${r.error.message}` : ''}` };
}

/** kubectl that must succeed; returns stdout. */
export function kubectl(args: string[], input?: string, timeoutMs = 60_000): string {
  const r = run(join(BIN, 'kubectl'), args, timeoutMs, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** A command in the node's network namespace (the host itself reaches pods and Services by routes). */
export const inNode = (args: string[], timeoutMs = 30_000): Run => run('nsenter', [`--net=/run/netns/${NETNS}`, '--', ...args], timeoutMs);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = any;

export const getJson = (args: string[]): Obj => JSON.parse(kubectl(['get', ...args, '-o', 'json']));

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Re-evaluates `fn` until it returns a truthy value; fails with the last value or error seen. */
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
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 800)}`);
    }
    await sleep(500);
  }
}

export const isReady = (p: Obj) =>
  !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
