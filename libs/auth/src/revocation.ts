import type Redis from 'ioredis';

const key = (jti: string) => `auth:revoked:${jti}`;

/** Revoked access-token ids, kept in Redis until the token would have expired anyway. */
export class RevocationList {
  constructor(private readonly redis: Redis) {}

  async revoke(jti: string, expiresAtSeconds: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(expiresAtSeconds - Date.now() / 1000));
    await this.redis.set(key(jti), '1', 'EX', ttl);
  }

  /** Throws when Redis cannot answer; the caller decides between fail-open and fail-closed. */
  async isRevoked(jti: string): Promise<boolean> {
    return (await this.redis.exists(key(jti))) === 1;
  }
}
