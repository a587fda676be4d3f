import { createHash } from 'node:crypto';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';

const CACHE_CONTROL = 'http:cache-control';

/** Marks a GET handler as cacheable by HTTP caches: sets Cache-Control and an ETag, answers 304 to If-None-Match. */
export const HttpCacheable = (cacheControl: string) => SetMetadata(CACHE_CONTROL, cacheControl);

@Injectable()
export class HttpCacheInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const cacheControl = this.reflector.get<string>(CACHE_CONTROL, context.getHandler());
    if (!cacheControl || context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((body: unknown) => {
        const etag = `W/"${createHash('sha1').update(JSON.stringify(body)).digest('base64url')}"`;
        reply.header('etag', etag).header('cache-control', cacheControl);
        const presented = request.headers['if-none-match'];
        if (presented && presented.split(',').some((tag) => tag.trim() === etag)) {
          reply.status(304);
          return undefined;
        }
        return body;
      }),
    );
  }
}
