import { RedisConnection } from '@saas/redis';
import { inSpan, recordSpans } from '@saas/telemetry';
import { infra, uniqueName } from '@saas/testing';
import { Cache } from '../index';

describe('Cache spans (tracing on, real Redis)', () => {
  let redis: RedisConnection;
  let cache: Cache;
  let recorder: ReturnType<typeof recordSpans>;

  beforeAll(async () => {
    recorder = recordSpans();
    redis = new RedisConnection({ url: infra.redisUrl, commandTimeoutMs: 250, connectionName: 'cache-trace-test' });
    await redis.waitUntilReady();
    cache = new Cache(redis.client, { namespace: uniqueName('cache'), enabled: true, ttlSeconds: 60, negativeTtlSeconds: 5 });
  });

  afterAll(async () => {
    await recorder.stop();
    await redis.onApplicationShutdown();
  });

  beforeEach(() => recorder.reset());

  it('one span per lookup says miss (with the load beneath it), then hit; negative hits too', async () => {
    const key = cache.key('product', 1);
    const load = () => inSpan('load from the database', {}, async () => ({ id: 1 }));
    await cache.getOrLoad(key, load, 'product');
    await cache.getOrLoad(key, load, 'product');
    await cache.getOrLoad(cache.key('product', 'gone'), async () => null, 'product');
    await cache.getOrLoad(cache.key('product', 'gone'), async () => null, 'product');
    const lookups = recorder.spans().filter((span) => span.name === 'cache product');
    expect(lookups.map((span) => span.attributes['cache.result'])).toEqual(['miss', 'hit', 'miss', 'negative_hit']);
    const loadSpan = recorder.spans().find((span) => span.name === 'load from the database')!;
    expect(loadSpan.parentSpanContext?.spanId).toBe(lookups[0].spanContext().spanId);
  });

  it('invalidation and generation bumps are spans naming the keys and the family', async () => {
    await inSpan('process catalog.product.updated.v1', {}, async () => {
      await cache.invalidate(cache.key('product', 1));
      await cache.bump('lists');
    });
    const [invalidate, bump, parent] = recorder.spans();
    expect(invalidate).toMatchObject({ name: 'cache invalidate', attributes: { 'cache.keys': [cache.key('product', 1)] } });
    expect(bump).toMatchObject({ name: 'cache bump lists', attributes: { 'cache.family': 'lists' } });
    for (const span of [invalidate, bump]) expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it('Redis unreachable: the lookup span says error and the load still answers', async () => {
    const down = new RedisConnection({ url: 'redis://127.0.0.1:9/0', commandTimeoutMs: 50, connectionName: 'cache-trace-down' });
    const broken = new Cache(down.client, { namespace: uniqueName('cache'), enabled: true, ttlSeconds: 60, negativeTtlSeconds: 5 });
    try {
      expect(await broken.getOrLoad(broken.key('x'), async () => ({ ok: true }), 'product')).toEqual({ ok: true });
      const [lookup] = recorder.spans().filter((span) => span.name === 'cache product');
      expect(lookup.attributes).toMatchObject({ 'cache.result': 'error', 'cache.breaker': 'closed' });
    } finally {
      await down.onApplicationShutdown();
    }
  });
});
