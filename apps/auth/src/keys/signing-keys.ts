import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { ConfigError } from '@saas/config';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

/**
 * Parses JWT_SIGNING_KEYS: a JSON array of private RSA JWKs, each with a `kid`. The first signs new
 * tokens; all of them are published in the JWKS so tokens signed by a retired key keep verifying
 * until they expire. Keys come from a Secret so every replica signs with the same key.
 */
export function parseSigningKeys(raw: string): SigningKey[] {
  let jwks: unknown;
  try {
    jwks = JSON.parse(raw);
  } catch {
    throw new ConfigError(['JWT_SIGNING_KEYS must be a JSON array of private JWKs']);
  }
  if (!Array.isArray(jwks) || jwks.length === 0) throw new ConfigError(['JWT_SIGNING_KEYS must contain at least one key']);
  const keys = jwks.map((jwk: Record<string, unknown>, index) => {
    if (typeof jwk?.kid !== 'string' || !jwk.kid) throw new ConfigError([`JWT_SIGNING_KEYS[${index}] needs a kid`]);
    if (jwk.kty !== 'RSA' || typeof jwk.d !== 'string') throw new ConfigError([`JWT_SIGNING_KEYS[${index}] must be a private RSA JWK`]);
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: jwk as never, format: 'jwk' });
    } catch (error) {
      throw new ConfigError([`JWT_SIGNING_KEYS[${index}] is not a valid key: ${(error as Error).message}`]);
    }
    if ((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new ConfigError([`JWT_SIGNING_KEYS[${index}] must be at least 2048 bits`]);
    const publicJwk = { ...(createPublicKey(privateKey).export({ format: 'jwk' }) as object), kid: jwk.kid, alg: 'RS256', use: 'sig' };
    return { kid: jwk.kid, privateKey, publicJwk };
  });
  if (new Set(keys.map((key) => key.kid)).size !== keys.length) throw new ConfigError(['JWT_SIGNING_KEYS has duplicate kids']);
  return keys;
}
