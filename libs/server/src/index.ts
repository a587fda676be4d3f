export { createService, runService, installGracefulShutdown, instanceName, SERVED_BY_HEADER, CACHE_HEADER, TRACE_RESPONSE_HEADER, type ServiceOptions } from './bootstrap';
export { DomainError, NotFoundError, ConflictError, DependencyUnavailableError } from './errors/domain-error';
export { ProblemDetailsFilter, toProblem, PROBLEM_CONTENT_TYPE, type ProblemDetails } from './errors/problem.filter';
export { HealthModule } from './health/health.module';
export { ShutdownState } from './health/shutdown.state';
export {
  type DependencyProbe,
  type DependencyReport,
  type DependencyState,
  type DependencyStatus,
  type ReadinessCheck,
} from './health/dependencies';
export { DependencyMonitor } from './health/dependency-monitor';
export { EVENT_LOOP_STALL_MS } from './health/event-loop.readiness';
export { RequestContext, REQUEST_HEADER_HOOK, type CacheResult, type RequestHeaderHook } from './request-context';
export { HttpCacheable } from './http-cache';
export { JsonText } from './json-text';
export {
  ApiProblems,
  MinProperties,
  Omittable,
  StoredText,
  STORED_TEXT_PATTERN,
  RequireBody,
  createOpenApiDocument,
  finalizeOpenApiDocument,
  operationsOf,
  problemResponse,
  PROBLEM_SCHEMA,
  PROBLEM_SCHEMA_NAME,
  PROBLEM_SCHEMA_REF,
  type ProblemSpec,
  type ProblemStatus,
  ApiUuidParam,
  UUID_PATTERN,
  UUID_PROPERTY,
} from './openapi';
