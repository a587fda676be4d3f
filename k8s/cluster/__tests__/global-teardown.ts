/** Stops the cluster if global setup started it (K8S_CLUSTER_KEEP=1 keeps it running to poke at it). */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { CLUSTER, ROOT, STARTED_MARK } from './support';

export default function globalTeardown(): void {
  if (!existsSync(STARTED_MARK)) return;
  rmSync(STARTED_MARK, { force: true });
  if (process.env.K8S_CLUSTER_KEEP === '1') return;
  spawnSync('bash', [CLUSTER, 'down'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], timeout: 180_000 });
}
