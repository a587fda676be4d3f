import type { SchemaObject } from '@nestjs/swagger';

/** The one name every service's document uses for its error body (RFC 9457 problem details). */
export const PROBLEM_SCHEMA_NAME = 'ProblemDetails';
export const PROBLEM_SCHEMA_REF = `#/components/schemas/${PROBLEM_SCHEMA_NAME}`;

/**
 * What `toProblem` (errors/problem.filter.ts) and the balancer send. Extension members (RFC 9457 §3.2)
 * are allowed: a domain error adds its own (`id` of a missing resource, `allow` of a 405, ...).
 */
export const PROBLEM_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details, sent as application/problem+json by every service and by the balancer.',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', description: '`urn:problem:<code>` for a domain error, `about:blank` otherwise', example: 'urn:problem:product.not_found' },
    title: { type: 'string', description: 'The status phrase', example: 'Not Found' },
    status: { type: 'integer', minimum: 400, maximum: 599, example: 404 },
    detail: { type: 'string', description: 'What went wrong, for a person' },
    instance: { type: 'string', description: 'The request path' },
    code: { type: 'string', description: 'Stable machine-readable code (domain errors)', example: 'product.not_found' },
    errors: { type: 'array', items: { type: 'string' }, description: 'Every validation message (400 from request validation)' },
    errorId: { type: 'string', format: 'uuid', description: 'Quote it when reporting an unexpected error (500); it is in the logs' },
    retryAfter: { type: 'integer', minimum: 0, description: 'Seconds; the Retry-After header carries it too (429, 503)' },
    allow: { type: 'array', items: { type: 'string' }, description: 'Methods the path does accept (405); the Allow header carries it too' },
  },
  additionalProperties: true,
};

export type ProblemStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 503;

/** The generic meaning of each status in these APIs; an operation may say more. */
export const PROBLEM_DESCRIPTIONS: Record<ProblemStatus, string> = {
  400: 'The request is invalid (validation, malformed JSON or parameters); `errors` lists every message',
  401: 'Missing, invalid, expired or revoked access token',
  403: 'Authenticated, but not allowed to do this',
  404: 'No such resource',
  405: 'The path exists but not with this method; `Allow` lists the methods it accepts',
  409: 'Conflicts with the current state',
  413: 'The body is larger than the service accepts',
  415: 'The body is not in a media type this operation accepts',
  422: 'Understood, but cannot be processed',
  429: 'Too many attempts; retry after `Retry-After` seconds',
  503: 'A dependency the request needs is unavailable (e.g. the database primary for a write); retry after `Retry-After` seconds',
};

/** Statuses answered with a Retry-After header. */
export const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);
