export { RedisModule, RedisConnection, RedisReadiness, type RedisOptions } from './redis.module';
