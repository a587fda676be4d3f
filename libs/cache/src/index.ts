export { Cache, type CacheOptions } from './cache';
export { CacheModule } from './cache.module';
