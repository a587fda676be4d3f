/**
 * Brings the one-node cluster up (cluster.sh up: builds what is missing — about half an hour on a cold
 * machine, seconds when cached — then starts whatever is not running). A cluster that was already up is
 * used as it is and left running afterwards; one started here is stopped by global teardown.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { CLUSTER, ROOT, STARTED_MARK, STATE_DIR } from './support';

export default function globalSetup(): void {
  const t0 = Date.now();
  const wasUp = spawnSync('bash', [CLUSTER, 'status'], { cwd: ROOT, stdio: 'ignore', timeout: 60_000 }).status === 0;
  const r = spawnSync('bash', [CLUSTER, 'up'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], timeout: 90 * 60_000 });
  if (r.status !== 0) {
    throw new Error(`bash k8s/cluster/cluster.sh up failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}); logs in ${STATE_DIR}/logs`);
  }
  mkdirSync(STATE_DIR, { recursive: true });
  if (!wasUp) writeFileSync(STARTED_MARK, new Date().toISOString());
  process.stderr.write(`cluster tests: one-node cluster ${wasUp ? 'was already up' : 'started'}, ready in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
}
