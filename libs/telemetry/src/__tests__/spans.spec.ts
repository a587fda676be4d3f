import { context, propagation, trace } from '@opentelemetry/api';
import {
  activeTraceparent,
  contextFromTraceparent,
  inSpan,
  nameDatabaseNode,
  recordSpans,
  SpanKind,
  traceLogFields,
  traceparentOf,
  tracingActive,
  withoutTracing,
  startSpan,
} from '../index';
import { databaseNodeOf } from '../database-nodes';

describe('span helpers with tracing off (the default)', () => {
  it('run the work directly: no span, no trace context, no log fields', async () => {
    expect(tracingActive()).toBe(false);
    let seen: unknown = 'unset';
    const result = await inSpan('x', {}, async (span) => {
      seen = span;
      return activeTraceparent();
    });
    expect(seen).toBeUndefined();
    expect(result).toBeUndefined();
    expect(startSpan('y')).toBeUndefined();
    expect(traceLogFields()).toEqual({});
    expect(withoutTracing(() => 42)).toBe(42);
  });
});

describe('span helpers with a tracer provider', () => {
  let recorder: ReturnType<typeof recordSpans>;
  beforeAll(() => (recorder = recordSpans()));
  afterAll(() => recorder.stop());
  beforeEach(() => recorder.reset());

  it('nest spans: work inside inSpan sees its span as the active one', async () => {
    await inSpan('outer', { attributes: { a: 1 } }, async () => {
      await inSpan('inner', { kind: SpanKind.PRODUCER }, async () => undefined);
    });
    const [inner, outer] = recorder.spans();
    expect([inner.name, outer.name]).toEqual(['inner', 'outer']);
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(inner.spanContext().traceId).toBe(outer.spanContext().traceId);
    expect(inner.kind).toBe(SpanKind.PRODUCER);
    expect(outer.attributes).toEqual({ a: 1 });
  });

  it('a thrown error is recorded on the span (status ERROR, exception event) and rethrown', async () => {
    await expect(inSpan('failing', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const [span] = recorder.spans();
    expect(span.status).toEqual({ code: 2, message: 'boom' });
    expect(span.events[0]).toMatchObject({ name: 'exception', attributes: { 'exception.message': 'boom' } });
  });

  it('a traceparent written in one place continues the same trace elsewhere (the outbox and the consumer)', async () => {
    let carried: string | undefined;
    await inSpan('request', {}, async () => {
      carried = activeTraceparent();
    });
    expect(carried).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await inSpan('consumer', { parent: contextFromTraceparent(carried), kind: SpanKind.CONSUMER }, async () => undefined);
    const [request, consumer] = recorder.spans();
    expect(consumer.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    // A span started by hand (the relay's publish span) hands out its own traceparent.
    const span = startSpan('publish', { parent: contextFromTraceparent(carried) })!;
    expect(traceparentOf(span)).toBe(`00-${request.spanContext().traceId}-${span.spanContext().spanId}-01`);
    span.end();
  });

  it('a malformed traceparent starts a new trace instead of failing', async () => {
    await inSpan('orphan', { parent: contextFromTraceparent('00-nonsense') }, async () => undefined);
    const [span] = recorder.spans();
    expect(span.parentSpanContext).toBeUndefined();
  });

  it('log fields name the active span', async () => {
    const fields = await inSpan('logged', {}, async () => traceLogFields());
    const [span] = recorder.spans();
    expect(fields).toEqual({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
  });

  it('withoutTracing suppresses spans and trace headers (the relay keeps each message its own traceparent)', async () => {
    await inSpan('relay', {}, async () => {
      withoutTracing(() => {
        trace.getTracer('t').startSpan('instrumented send').end();
        const headers: Record<string, string> = {};
        propagation.inject(context.active(), headers);
        expect(headers).toEqual({});
      });
    });
    expect(recorder.spans().map((span) => span.name)).toEqual(['relay']);
  });
});

describe('database node names', () => {
  it('map a connection (host, port, database) to the node that libs/data named', () => {
    nameDatabaseNode('postgres://saas:secret@127.0.0.1:55432/t_catalog', 'primary');
    nameDatabaseNode('postgres://saas:secret@127.0.0.1:55433/t_catalog', 'replica-1');
    expect(databaseNodeOf({ host: '127.0.0.1', port: 55432, database: 't_catalog' })).toBe('primary');
    expect(databaseNodeOf({ host: '127.0.0.1', port: 55433, database: 't_catalog' })).toBe('replica-1');
    expect(databaseNodeOf({ host: '127.0.0.1', port: 55433, database: 'other' })).toBeUndefined();
    nameDatabaseNode('postgres://db.internal/app', 'primary');
    expect(databaseNodeOf({ host: 'db.internal', port: 5432, database: 'app' })).toBe('primary');
  });
});
