import { Logger } from '@nestjs/common';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type Redis from 'ioredis';

export interface PublicJwk {
  kid: string;
  kty: string;
  alg?: string;
  use?: string;
  n?: string;
  e?: string;
}

const REDIS_KEY = 'auth:jwks:last-good';

/**
 * The auth service's public keys, fetched from its JWKS and kept in memory. An unknown `kid`
 * triggers a refetch at most once per `minRefetchMs`; while auth is down the cached keys keep
 * verifying. The last good JWKS is also kept in Redis, so a replica that starts while auth is
 * down can still verify tokens.
 */
export class JwksCache {
  private keys = new Map<string, KeyObject>();
  private lastFetch = 0;
  private inflight?: Promise<void>;
  private readonly logger = new Logger('Jwks');

  constructor(
    private readonly url: string,
    private readonly redis: Redis | undefined,
    private readonly minRefetchMs = 10_000,
    private readonly timeoutMs = 2_000,
  ) {}

  async key(kid: string): Promise<KeyObject | undefined> {
    if (!this.keys.has(kid)) await this.refresh();
    return this.keys.get(kid);
  }

  get size(): number {
    return this.keys.size;
  }

  async refresh(): Promise<void> {
    if (Date.now() - this.lastFetch < this.minRefetchMs && this.keys.size > 0) return;
    this.inflight ??= this.load().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async load(): Promise<void> {
    this.lastFetch = Date.now();
    try {
      const response = await fetch(this.url, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = (await response.json()) as { keys?: PublicJwk[] };
      this.install(body.keys ?? []);
      await this.redis?.set(REDIS_KEY, JSON.stringify(body.keys ?? []), 'EX', 7 * 24 * 3600).catch(() => undefined);
    } catch (error) {
      if (this.keys.size > 0) {
        this.logger.warn(`JWKS refresh failed (${(error as Error).message}); keeping ${this.keys.size} cached keys`);
        return;
      }
      const saved = await this.redis?.get(REDIS_KEY).catch(() => null);
      if (saved) {
        this.install(JSON.parse(saved) as PublicJwk[]);
        this.logger.warn(`auth unreachable (${(error as Error).message}); using the last good JWKS from Redis`);
      } else {
        this.logger.warn(`JWKS unavailable: ${(error as Error).message}`);
      }
    }
  }

  private install(jwks: PublicJwk[]): void {
    const next = new Map<string, KeyObject>();
    for (const jwk of jwks) {
      if (!jwk.kid || jwk.kty !== 'RSA') continue;
      next.set(jwk.kid, createPublicKey({ key: jwk as never, format: 'jwk' }));
    }
    if (next.size > 0) this.keys = next;
  }
}
