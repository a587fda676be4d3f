import { Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { counter } from '@saas/observability';
import type { FastifyRequest } from 'fastify';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { JwksCache } from './jwks';
import { ACCESS_TOKEN_ALGORITHM, type Principal, type Role } from './principal';
import { RevocationList } from './revocation';

export interface AuthOptions {
  issuer: string;
  audience: string;
  jwksUrl: string;
  revocationFailOpen: boolean;
  /** See JWT_MAX_TOKEN_AGE_SECONDS. */
  maxTokenAgeSeconds: number;
}

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

interface AccessClaims {
  sub?: string;
  email?: string;
  roles?: unknown;
  jti?: string;
  exp?: number;
  iat?: number;
}

/** Seconds of clock skew tolerated between the issuer and this replica. */
const CLOCK_TOLERANCE_SECONDS = 5;

const ROLES: Role[] = ['user', 'admin'];

/**
 * Verifies access tokens locally: RS256 only (so `alg: none` and HS256-with-the-public-key are
 * refused), issuer and audience pinned, key chosen by `kid` from the cached JWKS, then the
 * revocation list. No call to the auth service per request.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly logger = new Logger('JwtStrategy');
  private readonly rejected = counter('auth_revocation_check_failures_total', 'Revocation checks that could not reach Redis', ['decision']);

  constructor(
    jwks: JwksCache,
    private readonly revocations: RevocationList,
    private readonly failOpen: boolean,
    private readonly options: AuthOptions,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: options.issuer,
      audience: options.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: CLOCK_TOLERANCE_SECONDS, complete: false },
      secretOrKeyProvider: (_request: FastifyRequest, rawToken: string, done: (error: Error | null, key?: string) => void) => {
        const kid = kidOf(rawToken);
        if (!kid) return done(new UnauthorizedException('token has no kid'));
        jwks
          .key(kid)
          .then((key) =>
            key
              ? done(null, key.export({ type: 'spki', format: 'pem' }).toString())
              : done(new UnauthorizedException('unknown signing key')),
          )
          .catch((error: Error) => done(error));
      },
    });
  }

  async validate(claims: AccessClaims): Promise<Principal> {
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((role): role is Role => ROLES.includes(role as Role)) : [];
    if (!claims.sub || !claims.jti || !claims.exp || !claims.iat || roles.length === 0) throw new UnauthorizedException('malformed token claims');
    this.checkLifetime(claims.iat, claims.exp);
    let revoked: boolean;
    try {
      revoked = await this.revocations.isRevoked(claims.jti);
    } catch (error) {
      this.rejected.inc({ decision: this.failOpen ? 'accepted' : 'rejected' });
      if (!this.failOpen) throw new UnauthorizedException('cannot check token revocation');
      this.logger.warn(`revocation list unreachable (${(error as Error).message}); accepting (fail-open)`);
      revoked = false;
    }
    if (revoked) throw new UnauthorizedException('token revoked');
    return { userId: claims.sub, email: claims.email ?? '', roles, jti: claims.jti, expiresAt: claims.exp };
  }

  /**
   * A valid signature is not enough: the token must be short-lived (see JWT_MAX_TOKEN_AGE_SECONDS). With
   * exp checked and exp - iat bounded, no accepted token is older than the maximum either.
   */
  private checkLifetime(issuedAt: number, expiresAt: number): void {
    const now = Math.floor(Date.now() / 1000);
    const max = this.options.maxTokenAgeSeconds;
    if (issuedAt > now + CLOCK_TOLERANCE_SECONDS) throw new UnauthorizedException('token issued in the future');
    if (expiresAt - issuedAt > max) throw new UnauthorizedException(`token lifetime exceeds ${max} s`);
  }
}

function kidOf(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' && header.kid.length <= 128 ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
