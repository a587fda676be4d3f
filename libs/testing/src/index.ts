export { infra, repoRoot, uniqueName, createTestDatabase, sql, eventually, type TestDatabase } from './infra';
export { serviceEnv, bootService, runMain, freePort, metricValue, type RunningService } from './service';
export { describeServiceConventions } from './service-contract';
export { startTestIssuer, signingKeys, type TestIssuer } from './issuer';
