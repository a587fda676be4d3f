/**
 * Dependencies every replica shares (Postgres, Redis, Kafka). Their state is watched in the
 * background and reported, never turned into readiness: when one is down it is down for every
 * replica at once, and failing readiness would take the whole service out of the balancer (or the
 * Kubernetes Service) instead of letting each request degrade by its CAP choice.
 */
export type DependencyState = 'up' | 'degraded' | 'down';

export interface DependencyReport {
  state: DependencyState;
  /** Why (when not up) and anything a person debugging an outage wants to see. */
  details?: Record<string, unknown>;
}

/** Implemented by the data, cache and messaging libs; must not use the request pools. */
export interface DependencyProbe {
  readonly key: string;
  probe(): Promise<DependencyReport>;
}

/** What /health/dependencies and the readiness body show for one dependency. */
export interface DependencyStatus extends DependencyReport {
  /** When the dependency entered this state (ISO 8601). */
  since: string;
  checkedAt: string;
}

export const DEPENDENCY_PROBES = Symbol('DEPENDENCY_PROBES');

/**
 * A fault of this replica alone (its own pool wedged, its event loop stalled): the only kind of
 * trouble that makes it unready. Answered from memory, without I/O, so a probe never queues.
 */
export interface ReadinessCheck {
  readonly key: string;
  /** undefined when fine, otherwise why this replica should not receive traffic. */
  problem(): string | undefined;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
