import { Injectable } from '@nestjs/common';
import { Cache } from '@saas/cache';
import type { ProfileDto } from './dtos/profile.dto';

/**
 * Public profiles in the shared cache (@saas/cache: cache-aside, jittered TTL, negative caching,
 * single-flight, Redis breaker — Redis down means a database read, never an error).
 */
@Injectable()
export class ProfileCache {
  constructor(private readonly cache: Cache) {}

  key(userId: string): string {
    return this.cache.key('public', userId);
  }

  getOrLoad(userId: string, load: () => Promise<ProfileDto | null>): Promise<ProfileDto | null> {
    return this.cache.getOrLoad(this.key(userId), load, 'profile');
  }

  /**
   * Drops an entry after its row changed, and once more a moment later ("delayed double delete"):
   * a reader that refilled it from a replica that had not replayed the change yet cannot keep the
   * old profile for a whole TTL.
   */
  async evict(userId: string, againAfterMs = 1_000): Promise<void> {
    const key = this.key(userId);
    await this.cache.invalidate(key);
    if (againAfterMs > 0) setTimeout(() => void this.cache.invalidate(key), againAfterMs).unref();
  }
}
