import { platformEnv } from '@saas/platform';
import { z } from 'zod';

/** Every setting the auth service reads; validated at start (see libs/config). */
export const authEnv = {
  ...platformEnv,
  /** Private signing keys as a JSON array of JWKs with `kid` (a Secret); the first one signs, all verify. */
  JWT_SIGNING_KEYS: z.string().min(2, 'must be a JSON array of private JWKs'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(300).max(90 * 24 * 3600).default(14 * 24 * 3600),
};
