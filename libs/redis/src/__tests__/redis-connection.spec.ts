import { infra, uniqueName } from '@saas/testing';
import { RedisConnection } from '../index';

describe('RedisConnection', () => {
  it('talks to the real Redis', async () => {
    const redis = new RedisConnection({ url: infra.redisUrl, commandTimeoutMs: 250, connectionName: 'test' });
    try {
      expect(await redis.waitUntilReady()).toBe(true);
      const key = uniqueName('conn');
      await redis.client.set(key, '1', 'PX', 1000);
      expect(await redis.client.get(key)).toBe('1');
      expect(redis.available).toBe(true);
    } finally {
      await redis.onApplicationShutdown();
    }
  });

  it('fails commands at once while Redis is unreachable instead of queueing them', async () => {
    // A loopback port nobody listens on: the same situation as a Redis that went away.
    const redis = new RedisConnection({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 250, connectionName: 'test' });
    try {
      expect(await redis.waitUntilReady(100)).toBe(false);
      const started = Date.now();
      await expect(redis.client.get('anything')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(250);
      expect(redis.available).toBe(false);
    } finally {
      redis.client.disconnect();
    }
  });
});
