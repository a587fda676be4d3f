import { platformEnv } from '@saas/platform';
import { z } from 'zod';

/** Every setting the catalog service reads; validated at start (see libs/config). */
export const catalogEnv = {
  ...platformEnv,
  /** `false` turns the Redis cache off (benchmarks compare both). */
  CACHE_ENABLED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  CACHE_NEGATIVE_TTL_SECONDS: z.coerce.number().int().min(1).max(3_600).default(10),
};
