import type { HealthIndicatorResult } from '@nestjs/terminus';

/** A dependency the service cannot serve without; implemented by the data, cache and messaging libs. */
export interface ReadinessCheck {
  readonly key: string;
  check(): Promise<HealthIndicatorResult>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
