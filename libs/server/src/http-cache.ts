import { hash } from 'node:crypto';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Route config key (Fastify's per-route `config`, set by Nest's @RouteConfig). */
const CACHE_CONTROL = 'httpCacheControl';

/** Marks a GET handler as cacheable by HTTP caches: sets Cache-Control and an ETag, answers 304 to If-None-Match. */
export const HttpCacheable = (cacheControl: string) => RouteConfig({ [CACHE_CONTROL]: cacheControl });

/**
 * Fastify onSend step for routes marked @HttpCacheable: a 200 answer gets Cache-Control and a weak ETag of
 * the bytes about to be sent (hashed once, after Fastify serialised the body: no second stringify), and a
 * matching If-None-Match turns it into a 304 without a body. A hook, not a Nest interceptor: an interceptor
 * costs an rxjs chain and async-resource bindings on every request of every route.
 */
export function httpCacheOnSend(request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
  const cacheControl = (request.routeOptions.config as unknown as Record<string, unknown> | undefined)?.[CACHE_CONTROL];
  if (typeof cacheControl !== 'string' || reply.statusCode !== 200 || typeof payload !== 'string') return payload;
  const etag = `W/"${hash('sha1', payload, 'base64url')}"`;
  reply.header('etag', etag).header('cache-control', cacheControl);
  const presented = request.headers['if-none-match'];
  if (presented && presented.split(',').some((tag) => tag.trim() === etag)) {
    reply.code(304).removeHeader('content-type');
    return null;
  }
  return payload;
}
