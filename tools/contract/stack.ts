import { startStack as start, type Stack } from '@saas/testing';

export { SERVICES, type ServiceName, type Stack } from '@saas/testing';

/** The four built services for the contract run (CONTRACT_DIST: another build, to measure a change). */
export const startStack = (options: { adminEmails: string[]; env?: Record<string, string> }): Promise<Stack> =>
  start({ name: 'contract', dist: process.env.CONTRACT_DIST, ...options });
