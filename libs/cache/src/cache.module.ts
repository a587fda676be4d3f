import { DynamicModule, Global, Module } from '@nestjs/common';
import { RedisConnection } from '@saas/redis';
import { Cache, type CacheOptions } from './cache';

@Global()
@Module({})
export class CacheModule {
  static forRoot(options: CacheOptions): DynamicModule {
    return {
      module: CacheModule,
      providers: [{ provide: Cache, useFactory: (redis: RedisConnection) => new Cache(redis.client, options), inject: [RedisConnection] }],
      exports: [Cache],
    };
  }
}
