import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { getRPCMetadata, RPCType, suppressTracing } from '@opentelemetry/core';

export { SpanKind, type Attributes, type Span };

/**
 * Whether a tracer provider was started in this process (startTelemetry, or recordSpans in tests).
 * Every helper below checks it first, so with tracing off they cost one branch: no span objects, no
 * context switches.
 */
let active = false;

export function tracingActive(): boolean {
  return active;
}

/** @internal Set by startTelemetry and recordSpans. */
export function markTracingActive(on: boolean): void {
  active = on;
}

const tracer = () => trace.getTracer('saas-starter');

export interface SpanSpec {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Parent context (e.g. extracted from an event); the active context when absent. */
  parent?: Context;
  links?: Link[];
}

/**
 * Runs `work` inside a new span (the active one for everything `work` calls, so pg, ioredis and fetch
 * spans nest under it). A thrown error is recorded on the span and rethrown; the span always ends.
 */
export function inSpan<T>(
  name: string,
  spec: SpanSpec,
  work: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  // Off: the work itself, not even an extra promise.
  if (!active) return work(undefined);
  return runInSpan(name, spec, work);
}

async function runInSpan<T>(
  name: string,
  spec: SpanSpec,
  work: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  const parent = spec.parent ?? context.active();
  const span = tracer().startSpan(
    name,
    { kind: spec.kind ?? SpanKind.INTERNAL, attributes: spec.attributes, links: spec.links },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Starts a span the caller ends (for work that does not fit one callback, e.g. a batch send). */
export function startSpan(name: string, spec: SpanSpec = {}): Span | undefined {
  if (!active) return undefined;
  return tracer().startSpan(
    name,
    { kind: spec.kind ?? SpanKind.INTERNAL, attributes: spec.attributes, links: spec.links },
    spec.parent ?? context.active(),
  );
}

export function recordFailure(span: Span | undefined, error: unknown): void {
  if (!span) return;
  const failure = error instanceof Error ? error : new Error(String(error));
  span.recordException(failure);
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
}

/** An event on the active span (e.g. a retry, a breaker transition), or nothing when none is recording. */
export function addSpanEvent(name: string, attributes?: Attributes): void {
  if (!active) return;
  trace.getActiveSpan()?.addEvent(name, attributes);
}

export function setSpanAttributes(attributes: Attributes): void {
  if (!active) return;
  trace.getActiveSpan()?.setAttributes(attributes);
}

/** W3C `traceparent` of the active span, to carry in an event or a header; undefined without one. */
export function activeTraceparent(): string | undefined {
  if (!active) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** `traceparent` of a given span (the relay puts its publish span's into the message it sends). */
export function traceparentOf(span: Span): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
  return carrier.traceparent;
}

/** The context a `traceparent` describes (the root context when it is absent or malformed). */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (!active || !traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/** The span context of the active span, to link to (e.g. from a consumer span to its batch). */
export function activeSpanLink(): Link[] {
  if (!active) return [];
  const span = trace.getActiveSpan();
  return span ? [{ context: span.spanContext() }] : [];
}

/**
 * Runs `work` with tracing suppressed: instrumentations record nothing and inject no trace headers
 * inside it (the outbox relay sends a batch whose messages already carry their own `traceparent`).
 */
export function withoutTracing<T>(work: () => T): T {
  if (!active) return work();
  return context.with(suppressTracing(context.active()), work);
}

/**
 * Names the HTTP server span after the route template (`GET /catalog/products/:id`) and sets
 * `http.route`, the way OpenTelemetry's web-framework instrumentations do (through the RPC metadata
 * the http instrumentation reads when the response ends).
 */
export function nameServerSpan(route: string | undefined): void {
  if (!active || !route) return;
  const metadata = getRPCMetadata(context.active());
  if (metadata?.type === RPCType.HTTP) metadata.route = route;
}

/** `trace_id` and `span_id` of the active span for a log line (pino mixin); empty without one. */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  if (!active) return {};
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
