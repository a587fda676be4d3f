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
  /** Base URL of the media service, for live image URLs on product detail (sync path). */
  MEDIA_URL: z.string().url('must be the media service base URL, e.g. http://media:3003'),
  MEDIA_TIMEOUT_MS: z.coerce.number().int().min(50).max(10_000).default(300),
  CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  CACHE_NEGATIVE_TTL_SECONDS: z.coerce.number().int().min(1).max(3_600).default(10),
};
