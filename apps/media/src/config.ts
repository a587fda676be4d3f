import { platformEnv } from '@saas/platform';

/** Every setting the media service reads; validated at start (see libs/config). */
export const mediaEnv = { ...platformEnv };
