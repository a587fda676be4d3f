export { infra, repoRoot, uniqueName, createTestDatabase, sql, eventually, type TestDatabase } from './infra';
export { serviceEnv, bootService, runMain, type RunningService } from './service';
export { describeServiceConventions } from './service-contract';
export { startTestIssuer, type TestIssuer } from './issuer';
