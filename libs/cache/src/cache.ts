import { Logger } from '@nestjs/common';
import { counter, gauge } from '@saas/observability';
import { JsonText, RequestContext } from '@saas/server';
import { addSpanEvent, inSpan, setSpanAttributes } from '@saas/telemetry';
import type Redis from 'ioredis';
import CircuitBreaker from 'opossum';

export interface CacheOptions {
  /** Key prefix, e.g. `catalog`. */
  namespace: string;
  enabled: boolean;
  ttlSeconds: number;
  negativeTtlSeconds: number;
  /** ±fraction of the TTL, so entries written together do not expire together. */
  jitter?: number;
}

const MISSING = '\u0000missing';
const SHARE_RESULT_MS = 250;
const AS_TEXT = '\u0000text';

/**
 * Cache-aside over Redis with the protections a shared cache needs:
 *  - TTL with jitter; negative caching of misses (`null` results);
 *  - single-flight: concurrent misses for one key in this process share one load;
 *  - generations: list keys embed a counter, so one INCR invalidates every page in O(1);
 *  - Redis slow or down: commands time out quickly and a circuit breaker stops calling Redis,
 *    so requests fall through to the loader (the database); the cache re-arms when Redis is back.
 */
/** One lookup: `flight` is its single-flight key (a key read as text and as objects must not share a result). */
interface Read<T, R> {
  key: string;
  flight: string;
  load: () => Promise<T | null>;
  cacheName: string;
  fromText: (text: string) => R;
  fromValue: (value: T, text: string) => R;
}

export class Cache {
  private readonly logger = new Logger('Cache');
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  private readonly requests = counter('cache_requests_total', 'Cache lookups by result', ['cache', 'result']);

  constructor(
    private readonly redis: Redis,
    private readonly options: CacheOptions,
  ) {
    this.breaker = new CircuitBreaker((command: () => Promise<unknown>) => command(), {
      timeout: false, // ioredis' commandTimeout bounds each call
      errorThresholdPercentage: 50,
      volumeThreshold: 5,
      resetTimeout: 2_000,
      name: `redis-${options.namespace}`,
    });
    const state = gauge('circuit_breaker_state', '0 closed, 1 half-open, 2 open', ['breaker']);
    const name = { breaker: `redis-${options.namespace}` };
    state.set(name, 0);
    this.breaker.on('open', () => {
      state.set(name, 2);
      addSpanEvent('breaker.open', { breaker: name.breaker });
      this.logger.warn('Redis failing: cache bypassed (breaker open)');
    });
    this.breaker.on('halfOpen', () => state.set(name, 1));
    this.breaker.on('close', () => {
      state.set(name, 0);
      this.logger.log('Redis back: cache re-armed');
    });
  }

  get breakerState(): 'open' | 'half-open' | 'closed' {
    return this.breaker.opened ? 'open' : this.breaker.halfOpen ? 'half-open' : 'closed';
  }

  key(...parts: (string | number)[]): string {
    return [this.options.namespace, ...parts].join(':');
  }

  /** Returns the cached value of `key`, or loads, stores and returns it. `null` is cached as a miss. */
  getOrLoad<T>(key: string, load: () => Promise<T | null>, cacheName = 'default'): Promise<T | null> {
    return this.cached(key, key, load, cacheName, (text) => JSON.parse(text) as T, (value) => value);
  }

  /**
   * Like getOrLoad, but hands back the entry's JSON text, to be sent as the response body as it is: a hit
   * costs no parse and no second serialisation (a list page is kilobytes of JSON).
   */
  getOrLoadJson<T>(key: string, load: () => Promise<T | null>, cacheName = 'default'): Promise<JsonText<T> | null> {
    return this.cached(key, key + AS_TEXT, load, cacheName, (text) => new JsonText<T>(text), (_value, text) => new JsonText<T>(text));
  }

  private cached<T, R>(
    key: string,
    flight: string,
    load: () => Promise<T | null>,
    cacheName: string,
    fromText: (text: string) => R,
    fromValue: (value: T, text: string) => R,
  ): Promise<R | null> {
    const read: Read<T, R> = { key, flight, load, cacheName, fromText, fromValue };
    if (!this.options.enabled) return this.loadUncached(read);
    // With tracing on, one span per lookup: its `cache.result` says hit or miss, and a miss shows the
    // load (the database read) beneath it.
    return inSpan(
      `cache ${cacheName}`,
      { attributes: { 'cache.name': cacheName, 'cache.namespace': this.options.namespace } },
      () => this.lookup(read),
    );
  }

  private async loadUncached<T, R>(read: Read<T, R>): Promise<R | null> {
    const value = await read.load();
    return value === null ? null : read.fromValue(value, JSON.stringify(value));
  }

  private async lookup<T, R>(read: Read<T, R>): Promise<R | null> {
    const { key, flight, load, cacheName, fromText, fromValue } = read;
    const cached = await this.run(() => this.redis.get(key));
    if (cached === undefined) {
      this.requests.inc({ cache: cacheName, result: 'error' });
      RequestContext.noteCache('error');
      setSpanAttributes({ 'cache.result': 'error', 'cache.breaker': this.breakerState });
      return this.singleFlight(flight, () => this.loadUncached(read));
    }
    if (cached !== null) {
      const result = cached === MISSING ? 'negative_hit' : 'hit';
      this.requests.inc({ cache: cacheName, result });
      RequestContext.noteCache(result);
      setSpanAttributes({ 'cache.result': result });
      return cached === MISSING ? null : fromText(cached);
    }
    this.requests.inc({ cache: cacheName, result: 'miss' });
    RequestContext.noteCache('miss');
    setSpanAttributes({ 'cache.result': 'miss' });
    return this.singleFlight(flight, async () => {
      const value = await load();
      const text = value === null ? MISSING : JSON.stringify(value);
      const ttl = value === null ? this.options.negativeTtlSeconds : this.jittered(this.options.ttlSeconds);
      await this.run(() => this.redis.set(key, text, 'EX', ttl));
      return value === null ? null : fromValue(value, text);
    });
  }

  /** Current generation of a family of keys (e.g. every list page). */
  async generation(family: string): Promise<string> {
    if (!this.options.enabled) return '0';
    const value = await this.run(() => this.redis.get(this.key('gen', family)));
    return typeof value === 'string' ? value : '0';
  }

  /** Invalidates every key built with the current generation of `family`, in O(1). */
  bump(family: string): Promise<void> {
    return inSpan(
      `cache bump ${family}`,
      { attributes: { 'cache.namespace': this.options.namespace, 'cache.family': family } },
      async () => {
        await this.run(() => this.redis.incr(this.key('gen', family)));
      },
    );
  }

  invalidate(...keys: string[]): Promise<void> {
    return inSpan(
      'cache invalidate',
      { attributes: { 'cache.namespace': this.options.namespace, 'cache.keys': keys } },
      async () => {
        // A result still shared in this process must not outlive its invalidation.
        for (const key of keys) {
          this.inflight.delete(key);
          this.inflight.delete(key + AS_TEXT);
        }
        if (keys.length) await this.run(() => this.redis.del(...keys));
      },
    );
  }

  private jittered(ttl: number): number {
    const spread = ttl * (this.options.jitter ?? 0.1);
    return Math.max(1, Math.round(ttl - spread + Math.random() * 2 * spread));
  }

  private singleFlight<T>(key: string, load: () => Promise<T>): Promise<T> {
    const existing = this.inflight.get(key) as Promise<T> | undefined;
    if (existing) return existing;
    // The result is shared for a moment after it lands too: a request whose cache GET was answered
    // "miss" just before the value was stored would otherwise start a second load.
    const promise = load().finally(() => setTimeout(() => this.inflight.delete(key), SHARE_RESULT_MS).unref());
    this.inflight.set(key, promise);
    return promise;
  }

  /** A Redis command through the breaker; `undefined` when Redis failed or the breaker is open. */
  private async run<T>(command: () => Promise<T>): Promise<T | undefined> {
    try {
      return (await this.breaker.fire(command)) as T;
    } catch {
      return undefined;
    }
  }
}
