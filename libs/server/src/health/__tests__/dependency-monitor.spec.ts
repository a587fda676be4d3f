import { Logger } from '@nestjs/common';
import { metricsRegistry } from '@saas/observability';
import type { DependencyProbe, DependencyReport } from '../dependencies';
import { DependencyMonitor } from '../dependency-monitor';

/** A probe whose next answer the test sets; counts how often it was started. */
class ScriptedProbe implements DependencyProbe {
  calls = 0;
  next: () => Promise<DependencyReport> = async () => ({ state: 'up' });
  constructor(readonly key: string) {}
  probe() {
    this.calls++;
    return this.next();
  }
}

describe('DependencyMonitor', () => {
  let warn: jest.SpyInstance;
  let log: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('keeps state and since, and logs one line per transition rather than one per probe', async () => {
    const redis = new ScriptedProbe('redis-a');
    const monitor = new DependencyMonitor([redis], { intervalMs: 1_000, timeoutMs: 500 });
    expect(monitor.checkedOnce).toBe(false);
    await monitor.sweep();
    expect(monitor.checkedOnce).toBe(true);
    expect(monitor.snapshot()['redis-a'].state).toBe('up');

    redis.next = async () => ({ state: 'down', details: { reason: 'ECONNREFUSED' } });
    await monitor.sweep();
    const downSince = monitor.snapshot()['redis-a'].since;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await monitor.sweep();
    await monitor.sweep();
    expect(monitor.snapshot()['redis-a']).toMatchObject({ state: 'down', since: downSince, details: { reason: 'ECONNREFUSED' } });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toContain('redis-a up -> down: ECONNREFUSED');

    redis.next = async () => ({ state: 'up' });
    await monitor.sweep();
    expect(log).toHaveBeenCalledWith('redis-a down -> up');
    expect(monitor.snapshot()['redis-a'].since > downSince).toBe(true);

    const metrics = await metricsRegistry.metrics();
    expect(metrics).toMatch(/dependency_state\{dependency="redis-a",state="up"\} 1/);
    expect(metrics).toMatch(/dependency_state\{dependency="redis-a",state="down"\} 0/);
  });

  it('counts a probe that does not answer in time as down, and never starts a second one while it hangs', async () => {
    const kafka = new ScriptedProbe('kafka-a');
    let release!: (report: DependencyReport) => void;
    kafka.next = () => new Promise((resolve) => (release = resolve));
    const monitor = new DependencyMonitor([kafka], { intervalMs: 1_000, timeoutMs: 50 });
    await monitor.sweep();
    await monitor.sweep();
    await monitor.sweep();
    expect(kafka.calls).toBe(1);
    expect(monitor.snapshot()['kafka-a']).toMatchObject({ state: 'down', details: { reason: 'no answer within 50 ms' } });
    release({ state: 'up' });
    kafka.next = async () => ({ state: 'up' });
    await new Promise((resolve) => setImmediate(resolve));
    await monitor.sweep();
    expect(kafka.calls).toBe(2);
    expect(monitor.snapshot()['kafka-a'].state).toBe('up');
  });

  it('turns a probe that throws into down with its message', async () => {
    const broken = new ScriptedProbe('pg-a');
    broken.next = () => Promise.reject(new Error('boom'));
    const monitor = new DependencyMonitor([broken], { intervalMs: 1_000, timeoutMs: 500 });
    await monitor.sweep();
    expect(monitor.snapshot()['pg-a']).toMatchObject({ state: 'down', details: { reason: 'boom' } });
  });
});
