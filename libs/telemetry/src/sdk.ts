/**
 * The OpenTelemetry tracer provider and its instrumentations. Loaded only when tracing is on (start.ts
 * requires this file lazily): with tracing off none of it is even read from disk.
 * Traces only, so the Node tracer provider rather than the all-signals NodeSDK: metrics stay on /metrics
 * (prom-client) and logs on stdout (pino), and the image carries no metrics, logs, gRPC or Zipkin exporters.
 */
import type { IncomingMessage } from 'node:http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { detectResources, envDetector, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TelemetrySettings } from './config';
import { databaseNodeOf } from './database-nodes';

type Enabled = Extract<TelemetrySettings, { enabled: true }>;

/** Probes and scrapes arrive every few seconds from every balancer and scraper: not worth a trace. */
const UNTRACED_PATH = /^\/(health\/|metrics(\?|$))/;

function sampler(settings: Enabled): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.ratio);
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

export function startSdk(settings: Enabled): { shutdown(): Promise<void> } {
  // OTEL_RESOURCE_ATTRIBUTES, the process and the host, as NodeSDK detects them; the service's own names win.
  const resource = detectResources({ detectors: [envDetector, processDetector, hostDetector] }).merge(
    resourceFromAttributes({
      [ATTR_SERVICE_NAME]: settings.serviceName,
      'service.instance.id': settings.instance,
    }),
  );
  const provider = new NodeTracerProvider({
    resource,
    sampler: sampler(settings),
    // Batching (OTEL_BSP_* tune it): spans leave the process off the request path.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }))],
  });
  // The global tracer provider, AsyncLocalStorage context and W3C trace-context + baggage propagation.
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATH.test(request.url ?? ''),
        // Outgoing calls without a request around them (e.g. a JWKS refresh timer) are not worth a trace.
        requireParentforOutgoingSpans: true,
        // Find a trace by the request id a client saw, and see which replica answered.
        headersToSpanAttributes: {
          server: { requestHeaders: ['x-request-id'], responseHeaders: ['x-served-by', 'x-cache'] },
        },
      }),
      // fetch() (the resilient HTTP client) goes through undici.
      new UndiciInstrumentation({ requireParentforSpans: true }),
      new PgInstrumentation({
        // Background queries (replica monitor, health probes, the relay's polling) would each be a root trace.
        requireParentSpan: true,
        // Query parameters hold emails and password hashes: never recorded.
        enhancedDatabaseReporting: false,
        requestHook: (span, info) => {
          const node = databaseNodeOf(info.connection);
          if (node)
            span.setAttributes({
              'db.node': node,
              'db.node.role': node === 'primary' ? 'primary' : 'replica',
            });
        },
      }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new KafkaJsInstrumentation(),
    ],
  });
  return {
    shutdown: async () => {
      unregister();
      await provider.shutdown();
    },
  };
}
