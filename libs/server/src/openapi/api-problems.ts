import { applyDecorators } from '@nestjs/common';
import { ApiResponse, type HeadersObject } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem.filter';
import { PROBLEM_DESCRIPTIONS, PROBLEM_SCHEMA_REF, RETRY_AFTER_STATUSES, type ProblemStatus } from './problem';

/** A status, or a status with what it means for this operation. */
export type ProblemSpec = ProblemStatus | [ProblemStatus, string];

export const RETRY_AFTER_HEADER: HeadersObject = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
};

/** The response object of one problem status: the shared schema, by reference, as application/problem+json. */
export function problemResponse(status: number, description?: string) {
  return {
    description: description ?? PROBLEM_DESCRIPTIONS[status as ProblemStatus] ?? 'Error',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: PROBLEM_SCHEMA_REF } } },
    ...(RETRY_AFTER_STATUSES.has(status) ? { headers: RETRY_AFTER_HEADER } : {}),
  };
}

/**
 * Documents the error answers an operation can give, each with the one shared problem+json schema:
 * `@ApiProblems(400, 401, [404, 'The profile is not created yet'], 503)`.
 */
export const ApiProblems = (...specs: ProblemSpec[]) =>
  applyDecorators(
    ...specs.map((spec) => {
      const [status, description] = Array.isArray(spec) ? spec : [spec, undefined];
      return ApiResponse({ status, ...problemResponse(status, description) });
    }),
  );
