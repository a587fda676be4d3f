import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Per-request state (which database node a request wrote to, the consistency token it presented...).
 * Opened by a Fastify onRequest hook around the rest of the request, so any code running for a
 * request can read it without threading it through every call.
 */
const TRACE = Symbol('trace');
const CACHE = Symbol('cache');

/** How the server-side cache answered a request's lookup; sent back as `x-cache` so caching can be seen. */
export type CacheResult = 'hit' | 'miss' | 'negative_hit' | 'error';

export class RequestContext {
  private static readonly storage = new AsyncLocalStorage<Map<symbol, unknown>>();

  static run<T>(fn: () => T): T {
    return RequestContext.storage.run(new Map(), fn);
  }

  static get<T>(key: symbol): T | undefined {
    return RequestContext.storage.getStore()?.get(key) as T | undefined;
  }

  static set(key: symbol, value: unknown): void {
    RequestContext.storage.getStore()?.set(key, value);
  }

  /** W3C trace context and request id of the current request, to carry into events and outgoing calls. */
  static trace(): { traceparent?: string; requestId?: string } {
    return RequestContext.get<{ traceparent?: string; requestId?: string }>(TRACE) ?? {};
  }

  static setTrace(trace: { traceparent?: string; requestId?: string }): void {
    RequestContext.set(TRACE, trace);
  }

  /** Records the cache's answer for this request (the last lookup of the request wins). */
  static noteCache(result: CacheResult): void {
    RequestContext.set(CACHE, result);
  }

  static cacheResult(): CacheResult | undefined {
    return RequestContext.get<CacheResult>(CACHE);
  }

  static get active(): boolean {
    return RequestContext.storage.getStore() !== undefined;
  }
}

/**
 * A lib's per-request header work (read a request header, add response headers), run by the service's
 * Fastify hooks inside the request's context. Provided under REQUEST_HEADER_HOOK (e.g. by DataModule for
 * consistency tokens); a Nest interceptor would do the same at the cost of an rxjs chain per request.
 */
export interface RequestHeaderHook {
  /** Once per request, before guards and the handler. */
  onRequest(headers: IncomingHttpHeaders): void;
  /** Before the answer is sent, error answers included. */
  annotate(setHeader: (name: string, value: string) => void): void;
}

export const REQUEST_HEADER_HOOK = Symbol('REQUEST_HEADER_HOOK');
