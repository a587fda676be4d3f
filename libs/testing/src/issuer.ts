import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { SignJWT } from 'jose';

export interface TestIssuer {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** Env overrides that point a service's JWT verification at this issuer. */
  env: Record<string, string>;
  token(claims?: { sub?: string; email?: string; roles?: string[]; expiresIn?: string | number; jti?: string }): Promise<string>;
  close(): Promise<void>;
}

/**
 * A stand-in for the auth service in tests of other services: an RSA key pair and a JWKS endpoint
 * on loopback, signing RS256 access tokens the way auth does. (Auth's own tests use the real service.)
 */
export async function startTestIssuer(audience = 'saas-starter'): Promise<TestIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `test-${randomUUID().slice(0, 8)}`;
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as object), kid, alg: 'RS256', use: 'sig' };
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const issuer = `http://127.0.0.1:${port}/auth`;
  const jwksUrl = `http://127.0.0.1:${port}/auth/.well-known/jwks.json`;
  const sign = (key: KeyObject, claims: Parameters<TestIssuer['token']>[0] = {}) =>
    new SignJWT({ email: claims.email ?? 'user@example.com', roles: claims.roles ?? ['user'] })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(claims.sub ?? randomUUID())
      .setJti(claims.jti ?? randomUUID())
      .setIssuedAt()
      .setExpirationTime(claims.expiresIn ?? '5m')
      .sign(key);
  return {
    issuer,
    audience,
    jwksUrl,
    env: { JWT_ISSUER: issuer, JWT_AUDIENCE: audience, JWKS_URL: jwksUrl },
    token: (claims) => sign(privateKey, claims),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A JWT_SIGNING_KEYS value (private RSA JWKs) plus the private keys, for booting the auth service in tests. */
export function signingKeys(...kids: string[]): { json: string; keys: Record<string, KeyObject> } {
  const keys: Record<string, KeyObject> = {};
  const jwks = kids.map((kid) => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys[kid] = privateKey;
    return { ...(privateKey.export({ format: 'jwk' }) as object), kid };
  });
  return { json: JSON.stringify(jwks), keys };
}
