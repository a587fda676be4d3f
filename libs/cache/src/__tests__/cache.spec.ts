import { RedisConnection } from '@saas/redis';
import { infra, uniqueName } from '@saas/testing';
import { JsonText } from '@saas/server';
import { Cache } from '../index';

describe('Cache (cache-aside on real Redis)', () => {
  let redis: RedisConnection;
  let cache: Cache;

  beforeAll(async () => {
    redis = new RedisConnection({ url: infra.redisUrl, commandTimeoutMs: 250, connectionName: 'cache-test' });
    await redis.waitUntilReady();
    cache = new Cache(redis.client, { namespace: uniqueName('cache'), enabled: true, ttlSeconds: 60, negativeTtlSeconds: 5 });
  });

  afterAll(() => redis.onApplicationShutdown());

  it('loads once, then serves hits, with a jittered TTL', async () => {
    const key = cache.key('item', 1);
    let loads = 0;
    const load = async () => ({ id: 1, loads: ++loads });
    expect(await cache.getOrLoad(key, load)).toEqual({ id: 1, loads: 1 });
    expect(await cache.getOrLoad(key, load)).toEqual({ id: 1, loads: 1 });
    const ttl = await redis.client.ttl(key);
    expect(ttl).toBeGreaterThanOrEqual(54);
    expect(ttl).toBeLessThanOrEqual(66);
  });

  it('caches misses (negative caching) with the short TTL', async () => {
    const key = cache.key('item', 'missing');
    let loads = 0;
    const load = async () => {
      loads++;
      return null;
    };
    expect(await cache.getOrLoad(key, load)).toBeNull();
    expect(await cache.getOrLoad(key, load)).toBeNull();
    expect(loads).toBe(1);
    expect(await redis.client.ttl(key)).toBeLessThanOrEqual(6);
  });

  it('makes one load for 200 concurrent misses on a cold key (single-flight)', async () => {
    const key = cache.key('item', 'hot');
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { hot: true };
    };
    const results = await Promise.all(Array.from({ length: 200 }, () => cache.getOrLoad(key, load)));
    expect(loads).toBe(1);
    expect(results.every((value) => value?.hot === true)).toBe(true);
  });

  it('invalidates a whole family of keys in O(1) by bumping its generation', async () => {
    const before = await cache.generation('lists');
    const page = (generation: string, n: number) => cache.key('list', `g${generation}`, n);
    await cache.getOrLoad(page(before, 1), async () => ['a']);
    await cache.bump('lists');
    const after = await cache.generation('lists');
    expect(after).not.toBe(before);
    let loads = 0;
    expect(await cache.getOrLoad(page(after, 1), async () => (loads++, ['b']))).toEqual(['b']);
    expect(loads).toBe(1);
  });

  it('hands back the entry as JSON text to send as it is: the same bytes on a miss and on a hit', async () => {
    const key = cache.key('page', 'text');
    let loads = 0;
    const load = async () => ({ items: [{ id: 1, name: 'Lamp "Nº 5"' }], loads: ++loads });
    const miss = await cache.getOrLoadJson(key, load);
    const hit = await cache.getOrLoadJson(key, load);
    expect(miss).toBeInstanceOf(JsonText);
    expect(hit?.text).toBe(miss?.text);
    expect(JSON.parse(hit!.text)).toEqual({ items: [{ id: 1, name: 'Lamp "Nº 5"' }], loads: 1 });
    expect(await redis.client.get(key)).toBe(hit?.text);
    // The object reader sees the same entry.
    expect(await cache.getOrLoad(key, load)).toEqual({ items: [{ id: 1, name: 'Lamp "Nº 5"' }], loads: 1 });
    expect(loads).toBe(1);
  });

  it('as text too: a miss is cached as null, and Redis down falls through to the loader', async () => {
    let loads = 0;
    expect(await cache.getOrLoadJson(cache.key('page', 'none'), async () => (loads++, null))).toBeNull();
    expect(await cache.getOrLoadJson(cache.key('page', 'none'), async () => (loads++, null))).toBeNull();
    expect(loads).toBe(1);
    const down = new RedisConnection({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 100, connectionName: 'down-text' });
    try {
      const broken = new Cache(down.client, { namespace: 'down', enabled: true, ttlSeconds: 60, negativeTtlSeconds: 5 });
      expect((await broken.getOrLoadJson('k', async () => ({ from: 'db' })))?.text).toBe('{"from":"db"}');
    } finally {
      down.client.disconnect();
    }
  });

  it('falls through to the loader when Redis is unreachable, and stops calling it (breaker)', async () => {
    const down = new RedisConnection({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 100, connectionName: 'down' });
    const broken = new Cache(down.client, { namespace: 'down', enabled: true, ttlSeconds: 60, negativeTtlSeconds: 5 });
    try {
      for (let i = 0; i < 10; i++) {
        expect(await broken.getOrLoad(broken.key('k', i), async () => ({ i }))).toEqual({ i });
      }
      expect(broken.breakerState).toBe('open');
      const started = Date.now();
      expect(await broken.getOrLoad('k', async () => 'from-db')).toBe('from-db');
      expect(Date.now() - started).toBeLessThan(50);
    } finally {
      down.client.disconnect();
    }
  });
});
