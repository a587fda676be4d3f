import { z } from 'zod';
import { platformEnv } from '@saas/platform';

/** Every setting the profile service reads; validated at start (see libs/config). Cache names match catalog's. */
export const profileEnv = {
  ...platformEnv,
  /** `false` turns the Redis cache of public profiles off. */
  CACHE_ENABLED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /** Lifetime of a cached public profile (±10% jitter so entries written together do not expire together). */
  CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Lifetime of a cached "no such profile" (negative caching). */
  CACHE_NEGATIVE_TTL_SECONDS: z.coerce.number().int().min(1).max(3_600).default(10),
};
