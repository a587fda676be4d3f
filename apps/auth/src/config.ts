import { platformEnv } from '@saas/platform';
import { z } from 'zod';

const limit = (fallback: number) => z.coerce.number().int().min(1).max(100_000).default(fallback);

/** Every setting the auth service reads; validated at start (see libs/config). */
export const authEnv = {
  ...platformEnv,
  /** Private signing keys as a JSON array of RSA JWKs with `kid` (a Secret); the first one signs, all verify. */
  JWT_SIGNING_KEYS: z.string().min(2, 'must be a JSON array of private JWKs'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(300).max(90 * 24 * 3600).default(14 * 24 * 3600),
  /** Comma-separated emails that get the admin role when they register (bootstrap the first admin). */
  AUTH_ADMIN_EMAILS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((email) => email.trim().toLowerCase()).filter(Boolean)),
  /** Attempts per minute, counted in Redis so every replica shares them. */
  RATE_LIMIT_LOGIN_PER_ACCOUNT: limit(5),
  RATE_LIMIT_LOGIN_PER_IP: limit(30),
  RATE_LIMIT_REGISTER_PER_IP: limit(10),
  RATE_LIMIT_REFRESH_PER_IP: limit(60),
};
