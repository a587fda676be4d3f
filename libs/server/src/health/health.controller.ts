import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness';
import { ShutdownState } from './shutdown.state';

@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly shutdown: ShutdownState,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
  ) {}

  /** The process only: a dependency outage must never make Kubernetes restart healthy pods. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /**
   * 200 when every dependency answers, 503 with terminus' per-dependency report otherwise (probes and
   * people read the reason here, so this endpoint keeps that body rather than problem+json).
   */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult | { status: string; reason: string }> {
    if (this.shutdown.isDraining) {
      reply.status(503);
      return { status: 'error', reason: 'shutting down' };
    }
    try {
      return await this.health.check(this.checks.map((readiness) => () => readiness.check()));
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      reply.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
