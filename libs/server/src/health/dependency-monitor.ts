import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { gauge } from '@saas/observability';
import { DEPENDENCY_PROBES, type DependencyProbe, type DependencyReport, type DependencyState, type DependencyStatus } from './dependencies';

export interface DependencyMonitorOptions {
  intervalMs: number;
  /** A probe slower than this counts as down (the probe keeps its own connection; nothing leaks). */
  timeoutMs: number;
}

export const DEPENDENCY_MONITOR_OPTIONS = Symbol('DEPENDENCY_MONITOR_OPTIONS');

const STATES: DependencyState[] = ['up', 'degraded', 'down'];

/**
 * Probes every shared dependency in the background (one probe per dependency in flight at most),
 * keeps its state and since when, exports it as gauges and logs one line per transition.
 */
@Injectable()
export class DependencyMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly states = new Map<string, DependencyStatus>();
  private readonly inFlight = new Map<string, Promise<DependencyReport>>();
  private readonly logger = new Logger('Dependencies');
  private readonly stateGauge = gauge('dependency_state', '1 for the state each shared dependency is in (up, degraded, down)', ['dependency', 'state']);
  private readonly sinceGauge = gauge('dependency_state_since_seconds', 'Unix time the dependency entered its current state', ['dependency']);
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private swept = false;

  constructor(
    @Inject(DEPENDENCY_PROBES) private readonly probes: DependencyProbe[],
    @Inject(DEPENDENCY_MONITOR_OPTIONS) private readonly options: DependencyMonitorOptions,
  ) {}

  onApplicationBootstrap(): void {
    const tick = async () => {
      await this.sweep();
      if (this.stopped) return;
      this.timer = setTimeout(tick, this.options.intervalMs);
      this.timer.unref();
    };
    void tick();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** True once every dependency has been probed (a replica is "starting" until then). */
  get checkedOnce(): boolean {
    return this.swept;
  }

  snapshot(): Record<string, DependencyStatus> {
    return Object.fromEntries([...this.states].sort(([a], [b]) => a.localeCompare(b)));
  }

  async sweep(): Promise<void> {
    await Promise.all(this.probes.map(async (probe) => this.record(probe.key, await this.run(probe))));
    this.swept = true;
  }

  private async run(probe: DependencyProbe): Promise<DependencyReport> {
    // A probe still running from an earlier sweep is waited for, not started again.
    let pending = this.inFlight.get(probe.key);
    if (!pending) {
      pending = probe.probe().catch((error: Error) => ({ state: 'down' as const, details: { reason: error.message } }));
      this.inFlight.set(probe.key, pending);
      void pending.finally(() => this.inFlight.delete(probe.key));
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<DependencyReport>((resolve) => {
      timer = setTimeout(
        () => resolve({ state: 'down', details: { reason: `no answer within ${this.options.timeoutMs} ms` } }),
        this.options.timeoutMs,
      );
    });
    return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
  }

  private record(key: string, report: DependencyReport): void {
    const now = new Date().toISOString();
    const before = this.states.get(key);
    const changed = before?.state !== report.state;
    const since = changed ? now : before.since;
    this.states.set(key, { ...report, since, checkedAt: now });
    if (!changed) return;
    const reason = typeof report.details?.reason === 'string' ? `: ${report.details.reason}` : '';
    if (report.state === 'up') {
      if (before) this.logger.log(`${key} ${before.state} -> up`);
    } else {
      this.logger.warn(`${key} ${before?.state ?? 'unknown'} -> ${report.state}${reason} (serving on, degraded)`);
    }
    for (const state of STATES) this.stateGauge.set({ dependency: key, state }, state === report.state ? 1 : 0);
    this.sinceGauge.set({ dependency: key }, Date.parse(since) / 1000);
  }
}
