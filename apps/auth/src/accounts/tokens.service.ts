import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import type { EntityManager } from 'typeorm';
import { AUTH_SETTINGS, type AuthSettings } from '../auth.settings';
import { RefreshFamily, RefreshToken, type User } from './user.entity';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

/** Signs access tokens with the active key and issues opaque, hashed, single-use refresh tokens. */
@Injectable()
export class TokensService {
  constructor(@Inject(AUTH_SETTINGS) private readonly settings: AuthSettings) {}

  get jwks() {
    return { keys: this.settings.signingKeys.map((key) => key.publicJwk) };
  }

  async accessToken(user: Pick<User, 'id' | 'email' | 'roles'>): Promise<{ token: string; expiresIn: number }> {
    const [active] = this.settings.signingKeys;
    const token = await new SignJWT({ email: user.email, roles: user.roles })
      .setProtectedHeader({ alg: 'RS256', kid: active.kid, typ: 'JWT' })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(user.id)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${this.settings.accessTtlSeconds}s`)
      .sign(active.privateKey);
    return { token, expiresIn: this.settings.accessTtlSeconds };
  }

  /** A new refresh token in `familyId` (a new family when absent), stored only as a hash. */
  async refreshToken(em: EntityManager, userId: string, familyId?: string): Promise<string> {
    const family = familyId ?? (await em.getRepository(RefreshFamily).save({ userId, revokedAt: null, revokedReason: null })).id;
    const token = randomBytes(32).toString('base64url');
    await em.getRepository(RefreshToken).save({
      familyId: family,
      tokenHash: hashToken(token),
      expiresAt: new Date(Date.now() + this.settings.refreshTtlSeconds * 1000),
      usedAt: null,
    });
    return token;
  }
}
