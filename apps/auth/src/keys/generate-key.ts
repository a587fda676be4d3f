/**
 * Prints a new private signing key as a JWK array entry, for JWT_SIGNING_KEYS:
 *   bash scripts/ts-run.sh apps/auth/src/keys/generate-key.ts [kid]
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';

const kid = process.argv[2] ?? `key-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
process.stdout.write(`${JSON.stringify({ ...(privateKey.export({ format: 'jwk' }) as object), kid })}\n`);
