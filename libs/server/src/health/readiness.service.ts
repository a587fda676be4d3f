import { Inject, Injectable } from '@nestjs/common';
import { counter, gauge } from '@saas/observability';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem.filter';
import { READINESS_CHECKS, type DependencyStatus, type ReadinessCheck } from './dependencies';
import { DependencyMonitor } from './dependency-monitor';
import { ShutdownState } from './shutdown.state';

interface ReadinessReport {
  /** This replica's own checks: 'ok' or the problem. */
  checks: Record<string, string>;
  /** Shared dependencies: reported, never a reason to be unready. */
  dependencies: Record<string, DependencyStatus>;
}

/** 200: `{ status: 'ok', ... }`; 503: RFC 9457 problem+json with the same report as extension members. */
export type ReadinessBody =
  | (ReadinessReport & { status: 'ok' })
  | (ReadinessReport & { type: string; title: string; status: 503; detail: string; code: string; reason: string });

export interface ReadinessAnswer {
  httpStatus: 200 | 503;
  contentType: string;
  body: ReadinessBody;
}

/**
 * "Should this replica receive traffic?" Not while starting, draining or broken on its own. A shared
 * dependency being down is not this replica's fault and is answered per request (the CAP choices).
 */
@Injectable()
export class Readiness {
  // What the alert "readiness flapping" watches: a replica that keeps leaving and rejoining the balancer.
  private readonly readyGauge = gauge('readiness_ready', '1 while /health/ready answers 200, 0 while it answers 503');
  private readonly changes = counter('readiness_changes_total', 'Times /health/ready changed its answer', ['to']);
  private lastReady?: boolean;

  constructor(
    private readonly shutdown: ShutdownState,
    private readonly dependencies: DependencyMonitor,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
  ) {}

  evaluate(): ReadinessAnswer {
    const checks = Object.fromEntries(this.checks.map((check) => [check.key, check.problem() ?? 'ok']));
    const dependencies = this.dependencies.snapshot();
    const ownProblems = Object.entries(checks).filter(([, result]) => result !== 'ok');
    const reason = this.shutdown.isDraining
      ? 'draining: shutting down'
      : !this.dependencies.checkedOnce
        ? 'starting: dependencies not probed yet'
        : ownProblems.map(([key, problem]) => `${key}: ${problem}`).join('; ') || undefined;
    this.note(!reason);
    if (!reason) return { httpStatus: 200, contentType: 'application/json', body: { status: 'ok', checks, dependencies } };
    return {
      httpStatus: 503,
      contentType: PROBLEM_CONTENT_TYPE,
      body: {
        type: 'urn:problem:replica.not_ready',
        title: 'Service Unavailable',
        status: 503,
        detail: `This replica should not receive traffic: ${reason}`,
        code: 'replica.not_ready',
        reason,
        checks,
        dependencies,
      },
    };
  }

  /** Gauge and change counter of the answer (the first answer sets the gauge; changes count after it). */
  private note(ready: boolean): void {
    if (ready === this.lastReady) return;
    if (this.lastReady !== undefined) this.changes.inc({ to: ready ? 'ready' : 'not_ready' });
    this.lastReady = ready;
    this.readyGauge.set(ready ? 1 : 0);
  }

  /** Shared dependencies and since when they are in their state (always 200: this is a report). */
  dependencyReport(): Record<string, DependencyStatus> {
    return this.dependencies.snapshot();
  }
}
