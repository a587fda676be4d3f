export { infra, repoRoot, uniqueName, createTestDatabase, sql, eventually, type TestDatabase } from './infra';
export { serviceEnv, bootService, runMain, freePort, metricValue, type RunningService } from './service';
export { describeServiceConventions } from './service-contract';
export { startTestIssuer, signingKeys, type TestIssuer } from './issuer';
export { startStack, SERVICES, type Stack, type StackOptions, type ServiceName } from './stack';
export {
  startJaeger,
  ensureJaeger,
  findTraces,
  getTrace,
  tag,
  serviceOf,
  parentOf,
  type Jaeger,
  type JaegerTrace,
  type JaegerSpan,
} from './jaeger';
