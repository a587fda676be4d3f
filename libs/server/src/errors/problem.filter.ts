import { randomUUID } from 'node:crypto';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from './domain-error';
import { MethodNotAllowedError, type RouteTable } from './route-table';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code?: string;
  errors?: string[];
  errorId?: string;
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const titleOf = (status: number) => TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Request Error');

/** RFC 9457 body for an error; unknown errors get an opaque id that is logged, never their message. */
export function toProblem(error: unknown, instance?: string): { problem: ProblemDetails; unexpected: boolean } {
  if (error instanceof DomainError) {
    return {
      unexpected: false,
      problem: {
        type: `urn:problem:${error.code}`,
        title: titleOf(error.status),
        status: error.status,
        detail: error.message,
        code: error.code,
        instance,
        ...error.extensions,
      },
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const body = error.getResponse();
    const messages = typeof body === 'object' && body && 'message' in body ? (body as { message: unknown }).message : body;
    const list = Array.isArray(messages) ? messages.map(String) : undefined;
    return {
      unexpected: false,
      problem: {
        type: 'about:blank',
        title: titleOf(status),
        status,
        detail: list ? 'The request is invalid; see errors.' : String(messages ?? error.message),
        errors: list,
        instance,
      },
    };
  }
  // Fastify's own errors (body too large, malformed JSON, bad content type) carry a 4xx statusCode.
  const fastifyStatus = (error as { statusCode?: number })?.statusCode;
  if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
    return {
      unexpected: false,
      problem: {
        type: 'about:blank',
        title: titleOf(fastifyStatus),
        status: fastifyStatus,
        detail: (error as Error).message,
        instance,
      },
    };
  }
  return {
    unexpected: true,
    problem: {
      type: 'about:blank',
      title: titleOf(500),
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      detail: 'An unexpected error occurred; quote errorId when reporting it.',
      errorId: randomUUID(),
      instance,
    },
  };
}

const logger = new Logger('Problem');

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: unknown): void {
  const { problem, unexpected } = toProblem(error, request.url);
  if (unexpected) {
    logger.error({ err: error, errorId: problem.errorId, requestId: request.id }, 'unhandled error');
  }
  if (typeof problem.retryAfter === 'number') reply.header('retry-after', String(problem.retryAfter));
  reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  /** `routes`: when given, a known path asked with another method answers 405 with `Allow`. */
  constructor(private readonly routes?: RouteTable) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    // No route matched (Fastify's not-found path leaves routeOptions.url empty): is it the method?
    if (this.routes && error instanceof NotFoundException && !request.routeOptions?.url) {
      const allowed = this.routes.allowed(request.url.split('?')[0]);
      if (allowed.length) {
        reply.header('allow', allowed.join(', '));
        return sendProblem(reply, request, new MethodNotAllowedError(request.method, allowed));
      }
    }
    sendProblem(reply, request, error);
  }
}
