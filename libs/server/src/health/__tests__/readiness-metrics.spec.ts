import { metricsRegistry } from '@saas/observability';
import type { ReadinessCheck } from '../dependencies';
import { DependencyMonitor } from '../dependency-monitor';
import { Readiness } from '../readiness.service';
import { ShutdownState } from '../shutdown.state';

/** A check whose problem the test sets (e.g. a wedged pool coming and going). */
class ScriptedCheck implements ReadinessCheck {
  readonly key = 'pool';
  current: string | undefined;
  problem() {
    return this.current;
  }
}

const sample = async (name: string, labels = '') => {
  const line = (await metricsRegistry.metrics()).split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('readiness metrics (what the readiness-flapping alert reads)', () => {
  it('exports the current answer and counts each change, not each probe', async () => {
    const monitor = new DependencyMonitor([], { intervalMs: 1_000, timeoutMs: 100 });
    const check = new ScriptedCheck();
    const readiness = new Readiness(new ShutdownState(), monitor, [check]);
    const changes = async (to: string) => (await sample('readiness_changes_total', `{to="${to}"}`)) ?? 0;
    const before = { ready: await changes('ready'), notReady: await changes('not_ready') };

    expect(readiness.evaluate().httpStatus).toBe(503); // starting: dependencies not probed yet
    expect(await sample('readiness_ready')).toBe(0);
    await monitor.sweep();
    for (let i = 0; i < 3; i++) expect(readiness.evaluate().httpStatus).toBe(200);
    expect(await sample('readiness_ready')).toBe(1);

    check.current = 'pool stalled';
    readiness.evaluate();
    readiness.evaluate();
    check.current = undefined;
    readiness.evaluate();
    expect(await sample('readiness_ready')).toBe(1);
    expect((await changes('ready')) - before.ready).toBe(2);
    expect((await changes('not_ready')) - before.notReady).toBe(1);
  });
});
