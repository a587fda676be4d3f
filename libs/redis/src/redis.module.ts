import { DynamicModule, Global, Injectable, Module } from '@nestjs/common';
import type { DependencyProbe, DependencyReport } from '@saas/server';
import { RateLimiter } from './rate-limiter';
import { RedisConnection, type RedisOptions } from './redis.connection';

/** Redis down: caches fall through to the database, rate limits and revocation follow their CAP choice. */
@Injectable()
export class RedisProbe implements DependencyProbe {
  readonly key = 'redis';

  constructor(private readonly redis: RedisConnection) {}

  async probe(): Promise<DependencyReport> {
    try {
      // Commands fail at once while disconnected (no offline queue); at boot give the first connect a moment.
      if (!this.redis.available) await this.redis.waitUntilReady(1_000);
      await this.redis.client.ping();
      return { state: 'up' };
    } catch (error) {
      return {
        state: 'down',
        details: { reason: (error as Error).message, effect: 'cache bypassed (reads from the database), rate limits not enforced' },
      };
    }
  }
}

@Global()
@Module({})
export class RedisModule {
  static forRoot(options: RedisOptions): DynamicModule {
    return {
      module: RedisModule,
      providers: [{ provide: RedisConnection, useFactory: () => new RedisConnection(options) }, RedisProbe, RateLimiter],
      exports: [RedisConnection, RedisProbe, RateLimiter],
    };
  }
}
