export { ApiProblems, problemResponse, RETRY_AFTER_HEADER, type ProblemSpec } from './api-problems';
export { createOpenApiDocument, finalizeOpenApiDocument, operationsOf, setupOpenApi, BEARER_SCHEME } from './document';
export { MinProperties } from './min-properties';
export { PROBLEM_SCHEMA, PROBLEM_SCHEMA_NAME, PROBLEM_SCHEMA_REF, PROBLEM_DESCRIPTIONS, type ProblemStatus } from './problem';
export { RequireBody, RequireBodyGuard } from './require-body';
export { ApiUuidParam, UUID_PATTERN, UUID_PROPERTY } from './uuid';
export { Omittable } from './omittable';
export { StoredText, STORED_TEXT_PATTERN } from './text';
