import { platformEnv } from '@saas/platform';

/** Every setting the profile service reads; validated at start (see libs/config). */
export const profileEnv = { ...platformEnv };
