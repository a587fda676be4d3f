import { startTelemetry } from '@saas/telemetry';

// The first import of main.ts: the OpenTelemetry instrumentations patch pg, ioredis, kafkajs and http as
// those modules are loaded, so tracing starts before Nest and the libs load them (off unless OTEL_* say so).
startTelemetry('media');
