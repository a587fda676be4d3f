import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';

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

export function loggerModule(options: { service: string; instance: string; level: string }) {
  return LoggerModule.forRoot({
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    pinoHttp: {
      level: options.level,
      base: { service: options.service, instance: options.instance },
      genReqId: (req) => requestIdOf(req),
      customProps: (req) => ({ traceparent: req.headers['traceparent'] }),
      // Probes and scrapes every few seconds would drown the useful lines.
      autoLogging: { ignore: (req) => /^\/(health\/|metrics)/.test(req.url ?? '') },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      },
    },
  });
}
