import { Injectable, Logger } from '@nestjs/common';
import { counter } from '@saas/observability';
import { RedisConnection } from './redis.connection';

export interface RateLimitDecision {
  allowed: boolean;
  remaining: number;
  retryAfterSeconds: number;
}

// INCR and set the window's expiry atomically; returns [count, ttl ms].
const CONSUME = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }`;

/**
 * Fixed-window counters in Redis, shared by every replica. When Redis is unreachable the limiter
 * lets requests through (availability over strictness) and counts that in a metric.
 */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger('RateLimiter');
  private readonly bypassed = counter('rate_limit_bypassed_total', 'Rate-limit checks skipped because Redis was unreachable');

  constructor(private readonly redis: RedisConnection) {}

  async consume(bucket: string, subject: string, limit: number, windowSeconds: number): Promise<RateLimitDecision> {
    try {
      const [count, ttl] = (await this.redis.client.eval(CONSUME, 1, `ratelimit:${bucket}:${subject}`, windowSeconds * 1000)) as [number, number];
      return { allowed: count <= limit, remaining: Math.max(0, limit - count), retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)) };
    } catch (error) {
      this.bypassed.inc();
      this.logger.warn(`rate limit '${bucket}' not enforced: ${(error as Error).message}`);
      return { allowed: true, remaining: limit, retryAfterSeconds: 0 };
    }
  }
}
