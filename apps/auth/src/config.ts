import { platformEnv } from '@saas/platform';

/** Every setting the auth service reads; validated at start (see libs/config). */
export const authEnv = { ...platformEnv };
