/**
 * Builds (cached) and starts the container-free control plane for the k8s-cli suites: etcd,
 * kube-apiserver, kube-controller-manager, kube-scheduler and kwok on loopback, in its own state
 * directory and ports so a developer's cluster (.local/k8s) is left alone. Starts from a clean state.
 */
import { spawnSync } from 'node:child_process';
import { CONTROL_PLANE, PORT_BASE, ROOT, STATE_DIR } from './support';

export default function globalSetup(): void {
  const env = { ...process.env, K8S_STATE_DIR: STATE_DIR, K8S_PORT_BASE: PORT_BASE };
  const t0 = Date.now();
  for (const step of ['reset', 'up']) {
    const r = spawnSync('bash', [CONTROL_PLANE, step], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'], timeout: 60 * 60_000 });
    if (r.status !== 0) {
      throw new Error(`bash k8s/cluster/control-plane.sh ${step} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}); logs in ${STATE_DIR}/logs`);
    }
  }
  process.stderr.write(`k8s-cli tests: control plane ready in ${((Date.now() - t0) / 1000).toFixed(1)}s (${STATE_DIR})\n`);
}
