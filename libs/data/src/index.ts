export {
  DataModule,
  PostgresPrimaryProbe,
  PostgresReplicasProbe,
  DatabasePoolReadiness,
  createDatabase,
  type DataModuleOptions,
} from './data.module';
export { Database, type Work, type ReadRoute } from './database';
export { CONSISTENCY_TOKEN_HEADER, READ_NODE_HEADER, inConsistencyScope } from './consistency';
export { DatabaseUnavailableError } from './errors';
export type { HeldConnection } from './held-connection';
export { parseLsn, formatLsn } from './lsn';
export type { ReplicaState } from './replica-monitor';
