import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import { LoggerModule, type Params } from 'nestjs-pino';
import { traceLogFields, tracingActive } from '@saas/telemetry';
import type { DestinationStream } from 'pino';

export const REQUEST_ID_HEADER = 'x-request-id';
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

/**
 * The request id of an incoming request: the caller's `x-request-id` when it is sane, a new UUID
 * otherwise. Stored back on the headers so the logger, the handlers and outgoing calls all see one id.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  const id = typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
  req.headers[REQUEST_ID_HEADER] = id;
  return id;
}

/** Health probes and metric scrapes arrive every few seconds from every balancer and scraper. */
const PROBE_PATH = /^\/(health\/|metrics(\?|$))/;

/** The path as the client sent it (middleware mounting may rewrite req.url). */
const pathOf = (req: IncomingMessage & { originalUrl?: string }) => req.originalUrl ?? req.url ?? '';

export interface LoggerOptions {
  service: string;
  instance: string;
  level: string;
  /** Where lines go (stdout when absent; tests pass a stream to read them). */
  destination?: DestinationStream;
}

export function loggerModule(options: LoggerOptions) {
  const pinoOptions = {
    level: options.level,
    base: { service: options.service, instance: options.instance },
    genReqId: (req) => requestIdOf(req),
    customProps: (req) => ({ traceparent: req.headers['traceparent'] }),
    // With tracing on, every line carries the active span's trace_id and span_id (the request line, a
    // consumer's warning...), so a log line leads to its trace. Off: no mixin at all.
    ...(tracingActive() ? { mixin: traceLogFields } : {}),
    // One line per request, at a level that says how it went; probes and scrapes only at debug.
    // (A failing probe is no exception: readiness and dependency changes get their own log line.)
    customLogLevel: (req, res, error) => {
      if (PROBE_PATH.test(pathOf(req))) return 'debug';
      if (error || res.statusCode >= 500) return 'error';
      return res.statusCode >= 400 ? 'warn' : 'info';
    },
    redact: ['req.headers.authorization', 'req.headers.cookie'],
    // What a person reads: id, method, path, status (no header dumps: they were ~900 bytes a line).
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  } satisfies Params['pinoHttp'];
  return LoggerModule.forRoot({
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    pinoHttp: options.destination ? [pinoOptions, options.destination] : pinoOptions,
  });
}
