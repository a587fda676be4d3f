/**
 * Prints every service's environment contract as JSON: the names its config validation requires
 * (no default) and all the names it reads. The Helm chart tests and docker-compose tests compare the
 * manifests with this, so the apps' config schemas stay the one source of truth.
 *   node -r @swc-node/register tools/env-contract.ts
 */
import { allEnvNames, requiredEnvNames, type EnvShape } from '@saas/config';
import { authEnv } from '../apps/auth/src/config';
import { catalogEnv } from '../apps/catalog/src/config';
import { mediaEnv } from '../apps/media/src/config';
import { profileEnv } from '../apps/profile/src/config';

const services: Record<string, EnvShape> = { auth: authEnv, catalog: catalogEnv, media: mediaEnv, profile: profileEnv };
const contract = Object.fromEntries(
  Object.entries(services).map(([name, shape]) => [name, { required: requiredEnvNames(shape), all: allEnvNames(shape) }]),
);
process.stdout.write(`${JSON.stringify(contract, null, 2)}\n`);
