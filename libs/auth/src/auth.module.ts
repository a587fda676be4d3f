import { DynamicModule, Global, Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { RedisConnection } from '@saas/redis';
import { JwksCache } from './jwks';
import { AUTH_OPTIONS, JwtStrategy, type AuthOptions } from './jwt.strategy';
import { RevocationList } from './revocation';

/** Stateless authentication for every service: local JWT verification against auth's JWKS. */
@Global()
@Module({})
export class AuthModule {
  static forRoot(options: AuthOptions): DynamicModule {
    return {
      module: AuthModule,
      imports: [PassportModule],
      providers: [
        { provide: AUTH_OPTIONS, useValue: options },
        { provide: JwksCache, useFactory: (redis: RedisConnection) => new JwksCache(options.jwksUrl, redis.client), inject: [RedisConnection] },
        { provide: RevocationList, useFactory: (redis: RedisConnection) => new RevocationList(redis.client), inject: [RedisConnection] },
        {
          provide: JwtStrategy,
          useFactory: (jwks: JwksCache, revocations: RevocationList) => new JwtStrategy(jwks, revocations, options.revocationFailOpen, options),
          inject: [JwksCache, RevocationList],
        },
      ],
      exports: [JwksCache, RevocationList],
    };
  }
}
