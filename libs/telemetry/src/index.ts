export { telemetryEnv, telemetrySettings, type TelemetrySettings, type TelemetryEnv } from './config';
export { startTelemetry, shutdownTelemetry } from './start';
export { TelemetryModule } from './telemetry.module';
export { nameDatabaseNode } from './database-nodes';
export {
  SpanKind,
  tracingActive,
  inSpan,
  startSpan,
  recordFailure,
  addSpanEvent,
  setSpanAttributes,
  activeTraceparent,
  traceparentOf,
  contextFromTraceparent,
  activeSpanLink,
  withoutTracing,
  nameServerSpan,
  traceLogFields,
  type Attributes,
  type Span,
  type SpanSpec,
} from './spans';

/**
 * For tests: an in-memory tracer provider (see testing.ts). Loaded on first use so services never
 * load the SDK for it.
 */
export function recordSpans(): ReturnType<typeof import('./testing').recordSpans> {
  return (require('./testing') as typeof import('./testing')).recordSpans();
}
export type { RecordedSpan } from './testing';
