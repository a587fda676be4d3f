import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, type LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { traceLogFields, tracingActive } from '@saas/telemetry';

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

export interface LoggerOptions {
  service: string;
  instance: string;
  level: string;
  /** Where lines go (stdout, asynchronously, when absent; tests pass a stream to read them). */
  destination?: DestinationStream;
}

export const LOGGER_OPTIONS = Symbol('LoggerOptions');

let contextFields: () => Record<string, unknown> | undefined = () => undefined;

/**
 * Fields every line logged while serving a request carries (e.g. its request id). The server lib sets
 * this once from its request context; one process, one provider, like the metrics registry.
 */
export function setLogContext(fields: () => Record<string, unknown> | undefined): void {
  contextFields = fields;
}

export interface RequestLine {
  id: string;
  method: string;
  url: string;
  statusCode: number;
  responseTimeMs: number;
}

/**
 * The process's pino logger, as Nest's logger (every `new Logger(context)` in the code base) and as
 * the request log: one short line per request, written by the server's onResponse hook. No per-request
 * child logger and no HTTP middleware: the request's id reaches other lines through the log context.
 */
@Injectable()
export class ServiceLogger implements LoggerService {
  readonly pino: Logger;

  constructor(@Inject(LOGGER_OPTIONS) options: LoggerOptions) {
    const tracing = tracingActive();
    this.pino = pino(
      {
        level: options.level,
        base: { service: options.service, instance: options.instance },
        // With tracing on, every line carries the active span's trace_id and span_id (the request line, a
        // consumer's warning...), so a log line leads to its trace.
        mixin: () => (tracing ? { ...traceLogFields(), ...contextFields() } : (contextFields() ?? {})),
      },
      options.destination ?? pino.destination({ dest: 1, sync: false }),
    );
  }

  /**
   * One line per request, at a level that says how it went; probes and scrapes only at debug. (A failing
   * probe is no exception: readiness and dependency changes get their own log line.)
   */
  request(line: RequestLine): void {
    const level: Level = PROBE_PATH.test(line.url) ? 'debug' : line.statusCode >= 500 ? 'error' : line.statusCode >= 400 ? 'warn' : 'info';
    if (!this.pino.isLevelEnabled(level)) return;
    this.pino[level](
      { req: { id: line.id, method: line.method, url: line.url }, res: { statusCode: line.statusCode }, responseTime: Math.round(line.responseTimeMs) },
      'request completed',
    );
  }

  log(message: unknown, ...optional: unknown[]): void {
    this.write('info', message, optional);
  }
  error(message: unknown, ...optional: unknown[]): void {
    this.write('error', message, optional);
  }
  warn(message: unknown, ...optional: unknown[]): void {
    this.write('warn', message, optional);
  }
  debug(message: unknown, ...optional: unknown[]): void {
    this.write('debug', message, optional);
  }
  verbose(message: unknown, ...optional: unknown[]): void {
    this.write('trace', message, optional);
  }
  fatal(message: unknown, ...optional: unknown[]): void {
    this.write('fatal', message, optional);
  }

  /** Nest's calling convention: (message, ...params, context?); for errors (message, stack?, context?). */
  private write(level: Level, message: unknown, optional: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const params = [...optional];
    const context = params.length > 0 && typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const stack = params.find((param): param is string => typeof param === 'string' && /\n\s+at /.test(param));
    const fields: Record<string, unknown> = context ? { context } : {};
    if (message instanceof Error) this.pino[level]({ ...fields, err: message }, message.message);
    else if (message !== null && typeof message === 'object') this.pino[level]({ ...fields, ...(message as object) });
    else this.pino[level](stack ? { ...fields, err: { stack } } : fields, String(message));
  }
}
