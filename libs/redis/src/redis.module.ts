import { DynamicModule, Global, Injectable, Module } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import type { ReadinessCheck } from '@saas/server';
import { RateLimiter } from './rate-limiter';
import { RedisConnection, type RedisOptions } from './redis.connection';

@Injectable()
export class RedisReadiness implements ReadinessCheck {
  readonly key = 'redis';

  constructor(
    private readonly redis: RedisConnection,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check() {
    const indicator = this.indicators.check(this.key);
    try {
      await this.redis.client.ping();
      return indicator.up();
    } catch (error) {
      return indicator.down({ reason: (error as Error).message });
    }
  }
}

@Global()
@Module({})
export class RedisModule {
  static forRoot(options: RedisOptions): DynamicModule {
    return {
      module: RedisModule,
      imports: [TerminusModule],
      providers: [{ provide: RedisConnection, useFactory: () => new RedisConnection(options) }, RedisReadiness, RateLimiter],
      exports: [RedisConnection, RedisReadiness, RateLimiter],
    };
  }
}
