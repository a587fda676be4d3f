export { ObservabilityModule } from './observability.module';
export { REQUEST_ID_HEADER, requestIdOf, ServiceLogger, setLogContext, type RequestLine } from './logger';
export { metricsRegistry, counter, gauge, histogram, httpRequestDuration } from './metrics';
