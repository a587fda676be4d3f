/** Stops the test control plane (state and logs stay in .local/k8s-test for a post-mortem). */
import { spawnSync } from 'node:child_process';
import { CONTROL_PLANE, PORT_BASE, ROOT, STATE_DIR } from './support';

export default function globalTeardown(): void {
  if (process.env.K8S_TEST_KEEP === '1') return; // keep the cluster running to poke at it
  spawnSync('bash', [CONTROL_PLANE, 'down'], {
    cwd: ROOT,
    env: { ...process.env, K8S_STATE_DIR: STATE_DIR, K8S_PORT_BASE: PORT_BASE },
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 120_000,
  });
}
