export { RedisModule, RedisProbe } from './redis.module';
export { RedisConnection, type RedisOptions } from './redis.connection';
export { RateLimiter, type RateLimitDecision } from './rate-limiter';
