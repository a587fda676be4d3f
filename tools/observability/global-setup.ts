import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Jest globalSetup: build (or reuse) Jaeger and promtool before the suites start (a first build takes many
 * minutes). Runs outside jest's module resolution, so it needs nothing but Node.
 */
export default function globalSetup(): void {
  const root = resolve(__dirname, '../..');
  const started = Date.now();
  const result = spawnSync('bash', [resolve(root, 'scripts/observability/build.sh'), 'jaeger', 'promtool'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`scripts/observability/build.sh failed (exit ${result.status})`);
  const seconds = Math.round((Date.now() - started) / 1000);
  if (seconds > 5) process.stdout.write(`\nobservability-e2e: Jaeger and promtool ready after ${seconds}s\n`);
}
