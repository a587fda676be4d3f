import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { RevocationList, type Principal } from '@saas/auth';
import { Database } from '@saas/data';
import { Outbox } from '@saas/messaging';
import { RateLimiter } from '@saas/redis';
import { NotFoundError } from '@saas/server';
import type { EntityManager } from 'typeorm';
import { AUTH_SETTINGS, type AuthSettings } from '../auth.settings';
import { EmailTakenError, InvalidCredentialsError, InvalidRefreshTokenError, RateLimitedError } from './accounts.errors';
import type { LoginDto, RegisterDto, TokensDto, UpdateMeDto, UserDto } from './dtos/accounts.dto';
import { hashToken, TokensService } from './tokens.service';
import { RefreshFamily, RefreshToken, User } from './user.entity';

// OWASP password storage cheat sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
const ARGON2 = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const toUserDto = (user: User): UserDto => ({ id: user.id, email: user.email, displayName: user.displayName, roles: user.roles });
const normalise = (email: string) => email.trim().toLowerCase();

@Injectable()
export class AccountsService {
  /** Verified against for unknown emails, so both failures cost one argon2 verification. */
  private readonly dummyHash = argon2.hash('not-a-real-password-000', ARGON2);

  constructor(
    private readonly db: Database,
    private readonly outbox: Outbox,
    private readonly tokens: TokensService,
    private readonly limiter: RateLimiter,
    private readonly revocations: RevocationList,
    @Inject(AUTH_SETTINGS) private readonly settings: AuthSettings,
  ) {}

  async register(dto: RegisterDto, ip: string): Promise<TokensDto> {
    await this.limit('register-ip', ip, this.settings.limits.registerPerIp);
    const email = normalise(dto.email);
    const passwordHash = await argon2.hash(dto.password, ARGON2);
    const roles: User['roles'] = this.settings.adminEmails.includes(email) ? ['user', 'admin'] : ['user'];
    return this.db.write(async (em) => {
      const inserted: User[] = await em.query(
        `insert into users (email, password_hash, display_name, roles) values ($1, $2, $3, $4)
         on conflict (email) do nothing
         returning id, email, display_name as "displayName", roles`,
        [email, passwordHash, dto.displayName, roles],
      );
      if (inserted.length === 0) throw new EmailTakenError();
      const user = inserted[0];
      await this.outbox.publish(em, 'auth.user.registered.v1', user.id, {
        userId: user.id,
        email: user.email,
        displayName: user.displayName,
      });
      return this.session(em, user);
    });
  }

  async login(dto: LoginDto, ip: string): Promise<TokensDto> {
    const email = normalise(dto.email);
    await this.limit('login-ip', ip, this.settings.limits.loginPerIp);
    await this.limit('login-account', email, this.settings.limits.loginPerAccount);
    const user = await this.db.readPrimary((em) => em.getRepository(User).findOneBy({ email }));
    const valid = await argon2.verify(user?.passwordHash ?? (await this.dummyHash), dto.password);
    if (!user || !valid) throw new InvalidCredentialsError();
    return this.db.write((em) => this.session(em, user));
  }

  /** Rotation with reuse detection: a token works once; presenting a used one revokes its whole family. */
  async refresh(refreshToken: string, ip: string): Promise<TokensDto> {
    await this.limit('refresh-ip', ip, this.settings.limits.refreshPerIp);
    type Outcome = { error: 'unknown' | 'expired' | 'revoked' | 'reused' } | { tokens: TokensDto };
    const outcome = await this.db.write(async (em): Promise<Outcome> => {
      const token = await em
        .getRepository(RefreshToken)
        .createQueryBuilder('token')
        .setLock('pessimistic_write')
        .where('token.token_hash = :hash', { hash: hashToken(refreshToken) })
        .getOne();
      if (!token) return { error: 'unknown' };
      const family = await em.getRepository(RefreshFamily).findOneByOrFail({ id: token.familyId });
      if (family.revokedAt) return { error: 'revoked' };
      if (token.usedAt) {
        await em.getRepository(RefreshFamily).update(family.id, { revokedAt: new Date(), revokedReason: 'refresh token reuse' });
        return { error: 'reused' };
      }
      if (token.expiresAt.getTime() < Date.now()) return { error: 'expired' };
      await em.getRepository(RefreshToken).update(token.id, { usedAt: new Date() });
      const user = await em.getRepository(User).findOneByOrFail({ id: family.userId });
      return { tokens: await this.session(em, user, family.id) };
    });
    // The family revocation above must commit, so the error is raised after the transaction.
    if (!('tokens' in outcome)) throw new InvalidRefreshTokenError(outcome.error);
    return outcome.tokens;
  }

  /** Ends the session: the refresh family is revoked and this access token is deny-listed until it expires. */
  async logout(principal: Principal, refreshToken?: string): Promise<void> {
    if (refreshToken) {
      await this.db.write(async (em) => {
        const token = await em.getRepository(RefreshToken).findOneBy({ tokenHash: hashToken(refreshToken) });
        if (!token) return;
        await em
          .getRepository(RefreshFamily)
          .update({ id: token.familyId, userId: principal.userId }, { revokedAt: new Date(), revokedReason: 'logout' });
      });
    }
    await this.revocations.revoke(principal.jti, principal.expiresAt);
  }

  async me(principal: Principal): Promise<UserDto> {
    const user = await this.db.read((em) => em.getRepository(User).findOneBy({ id: principal.userId }));
    if (!user) throw new NotFoundError('user', principal.userId);
    return toUserDto(user);
  }

  async updateMe(principal: Principal, dto: UpdateMeDto): Promise<UserDto> {
    return this.db.write(async (em) => {
      const user = await em.getRepository(User).findOneBy({ id: principal.userId });
      if (!user) throw new NotFoundError('user', principal.userId);
      user.displayName = dto.displayName;
      await em.getRepository(User).save(user);
      await this.outbox.publish(em, 'auth.user.updated.v1', user.id, { userId: user.id, email: user.email, displayName: user.displayName });
      return toUserDto(user);
    });
  }

  async deleteMe(principal: Principal): Promise<void> {
    await this.db.write(async (em) => {
      const deleted = await em.getRepository(User).delete({ id: principal.userId });
      if (!deleted.affected) throw new NotFoundError('user', principal.userId);
      await this.outbox.publish(em, 'auth.user.deleted.v1', principal.userId, { userId: principal.userId });
    });
    await this.revocations.revoke(principal.jti, principal.expiresAt);
  }

  jwks() {
    return this.tokens.jwks;
  }

  private async session(em: EntityManager, user: Pick<User, 'id' | 'email' | 'displayName' | 'roles'>, familyId?: string): Promise<TokensDto> {
    const access = await this.tokens.accessToken(user);
    const refreshToken = await this.tokens.refreshToken(em, user.id, familyId);
    return {
      accessToken: access.token,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: access.expiresIn,
      user: { id: user.id, email: user.email, displayName: user.displayName, roles: user.roles },
    };
  }

  private async limit(bucket: string, subject: string, limit: number): Promise<void> {
    const decision = await this.limiter.consume(bucket, subject, limit, 60);
    if (!decision.allowed) throw new RateLimitedError(decision.retryAfterSeconds);
  }
}
