import { platformEnv } from '@saas/platform';

/** Every setting the catalog service reads; validated at start (see libs/config). */
export const catalogEnv = { ...platformEnv };
