import { hostname } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DynamicModule, Logger as NestLogger, Type, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from 'helmet';
import { ConfigError } from '@saas/config';
import { activeTraceparent, nameServerSpan, tracingActive } from '@saas/telemetry';
import { httpRequestDuration, requestIdOf, REQUEST_ID_HEADER, ServiceLogger, setLogContext } from '@saas/observability';
import { ProblemDetailsFilter } from './errors/problem.filter';
import { RouteTable } from './errors/route-table';
import { httpCacheOnSend } from './http-cache';
import { serializeReply } from './json-text';
import { setupOpenApi } from './openapi/document';
import { ShutdownState } from './health/shutdown.state';
import { REQUEST_HEADER_HOOK, RequestContext, type RequestHeaderHook } from './request-context';

export const SERVED_BY_HEADER = 'x-served-by';
/** hit / miss / negative_hit / error: how the server-side (Redis) cache answered this request. */
export const CACHE_HEADER = 'x-cache';
/** With tracing on: `00-<trace id>-<span id>-<flags>` of the request's span (W3C Trace Context level 2). */
export const TRACE_RESPONSE_HEADER = 'traceresponse';

export interface ServiceOptions {
  /** Service name; also the path prefix (`/catalog/...`) and the OpenAPI location (`/catalog/docs`). */
  name: string;
  description?: string;
  port: number;
  host: string;
  instanceId?: string;
  bodyLimitBytes: number;
  shutdownDrainMs: number;
  /** false in tests that boot several apps in one process. */
  handleSignals?: boolean;
}

export const instanceName = (options: Pick<ServiceOptions, 'name' | 'instanceId' | 'port'>) =>
  options.instanceId ?? `${options.name}@${hostname()}:${options.port}`;

/** A provider the app may or may not have (a bare test module has no HealthModule or DataModule). */
function optional<T>(app: NestFastifyApplication, token: symbol | (abstract new (...args: never[]) => T)): T | undefined {
  try {
    return app.get<T>(token as symbol, { strict: false });
  } catch {
    return undefined;
  }
}

/**
 * Helmet's headers (CSP off: the API serves JSON and /docs), computed once: they do not depend on the
 * request, so running helmet's middleware on every request only recomputes the same dozen headers.
 */
function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const capture = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet({ contentSecurityPolicy: false })({} as IncomingMessage, capture as unknown as ServerResponse, () => undefined);
  return headers;
}

/** Operational endpoints stay at the root for probes and scrapers; everything else lives under the prefix. */
const ROOT_ROUTES = ['health/live', 'health/ready', 'health/dependencies', 'metrics'];

/** Builds (but does not start) a service exactly as production runs it; tests call this too. */
export async function createService(
  module: Type<unknown> | DynamicModule,
  options: ServiceOptions,
): Promise<NestFastifyApplication> {
  const servedBy = instanceName(options);
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimitBytes,
    genReqId: (req: IncomingMessage) => requestIdOf(req),
    trustProxy: true,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const app = await NestFactory.create<NestFastifyApplication>(module as Type<unknown>, adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  const logger = app.get(ServiceLogger);
  app.useLogger(logger);
  // Lines logged while serving a request (a warning from the cache...) carry its id.
  setLogContext(() => {
    const requestId = RequestContext.trace().requestId;
    return requestId ? { reqId: requestId } : undefined;
  });
  app.flushLogs();

  const fastify = app.getHttpAdapter().getInstance();
  fastify.setReplySerializer(serializeReply);
  const routes = new RouteTable();
  fastify.addHook('onRoute', (route) => routes.add(route.method, route.url));
  const latency = httpRequestDuration();
  const security = securityHeaders();
  // With tracing on, the request's span is named after its route (`GET /catalog/products/:id`) and the
  // response says which trace it is (W3C `traceresponse`: the trace id a person looks up); off, no hook.
  if (tracingActive()) {
    fastify.addHook('onRequest', (request, reply, done) => {
      nameServerSpan(request.routeOptions.url);
      const traceparent = activeTraceparent();
      if (traceparent) reply.header(TRACE_RESPONSE_HEADER, traceparent);
      done();
    });
  }
  const headerHook = optional<RequestHeaderHook>(app, REQUEST_HEADER_HOOK);
  // preHandler, not onRequest: body parsing runs in the socket's async context and would lose the store.
  fastify.addHook('preHandler', (request, _reply, done) =>
    RequestContext.run(() => {
      const traceparent = request.headers.traceparent;
      RequestContext.setTrace({ requestId: request.id, traceparent: typeof traceparent === 'string' ? traceparent : undefined });
      headerHook?.onRequest(request.headers);
      done();
    }),
  );
  // HealthModule provides the shared state; an app without it (a bare test module) still drains correctly.
  const shutdown = optional(app, ShutdownState) ?? new ShutdownState();
  // Hooks with callbacks, not async functions: these run on every request.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    reply.headers(security);
    reply.header(SERVED_BY_HEADER, servedBy);
    reply.header(REQUEST_ID_HEADER, request.id);
    const cache = RequestContext.cacheResult();
    if (cache) reply.header(CACHE_HEADER, cache);
    headerHook?.annotate((name, value) => reply.header(name, value));
    // While draining, close each connection after its response so keep-alive sockets cannot hold
    // the server open (Fastify only closes connections that are idle when close starts).
    if (shutdown.isDraining) reply.header('connection', 'close');
    done(null, httpCacheOnSend(request, reply, payload));
  });
  fastify.addHook('preClose', async () => shutdown.startDraining());
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    latency.observe({ method: request.method, route: route ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    logger.request({ id: request.id, method: request.method, url: request.url, statusCode: reply.statusCode, responseTimeMs: reply.elapsedTime });
    done();
  });

  app.setGlobalPrefix(options.name, { exclude: ROOT_ROUTES });
  app.useGlobalFilters(new ProblemDetailsFilter(routes));
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }),
  );

  setupOpenApi(app, { name: options.name, description: options.description });

  if (options.handleSignals !== false) installGracefulShutdown(app, options.shutdownDrainMs);
  return app;
}

/**
 * SIGTERM/SIGINT: fail readiness, wait for balancers to notice, stop accepting and finish in-flight
 * requests, then run module destroy hooks (consumers commit and stop, outbox relay stops, pools close).
 * Nest's own shutdown hooks run destroy hooks before the HTTP server closes, which is the wrong order.
 */
export function installGracefulShutdown(app: NestFastifyApplication, drainMs: number): void {
  const logger = new NestLogger('Shutdown');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: draining for ${drainMs} ms`);
    app.get(ShutdownState).startDraining();
    await new Promise((resolve) => setTimeout(resolve, drainMs));
    try {
      await app.close();
      logger.log('shutdown complete');
      process.exit(0);
    } catch (error) {
      logger.error(error);
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** main.ts of every service: validate config (one clear line and exit 1 when wrong), build, listen. */
export async function runService(build: () => { module: Type<unknown> | DynamicModule; options: ServiceOptions }) {
  let built: ReturnType<typeof build>;
  try {
    built = build();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createService(built.module, built.options);
  await app.listen({ port: built.options.port, host: built.options.host });
  new NestLogger('Bootstrap').log(
    `${built.options.name} listening on http://${built.options.host}:${built.options.port}/${built.options.name} (docs at /${built.options.name}/docs)`,
  );
}
