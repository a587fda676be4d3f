import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { DependencyStatus } from './dependencies';
import { Readiness, type ReadinessAnswer } from './readiness.service';

@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: Readiness) {}

  /** The process only: a dependency outage must never make Kubernetes restart healthy pods. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** 200 unless starting, draining or broken on its own; shared dependencies are reported, not judged. */
  @Get('ready')
  ready(@Res({ passthrough: true }) reply: FastifyReply): ReadinessAnswer['body'] {
    const answer = this.readiness.evaluate();
    reply.status(answer.httpStatus).type(answer.contentType);
    return answer.body;
  }

  @Get('dependencies')
  dependencies(): Record<string, DependencyStatus> {
    return this.readiness.dependencyReport();
  }
}
