export { ObservabilityModule } from './observability.module';
export { REQUEST_ID_HEADER, requestIdOf } from './logger';
export { metricsRegistry, counter, gauge, histogram, httpRequestDuration } from './metrics';
