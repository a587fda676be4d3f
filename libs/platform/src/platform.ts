import { DynamicModule, Logger, Module, Type } from '@nestjs/common';
import { AuthModule } from '@saas/auth';
import { databaseEnv, jwtEnv, kafkaEnv, loadConfig, redisEnv, serverEnv, type EnvShape } from '@saas/config';
import {
  createDatabase,
  DatabasePoolReadiness,
  DataModule,
  PostgresPrimaryProbe,
  PostgresReplicasProbe,
  type DataModuleOptions,
} from '@saas/data';
import { KafkaProbe, MESSAGING_MIGRATIONS, MessagingModule } from '@saas/messaging';
import { ObservabilityModule } from '@saas/observability';
import { RedisModule, RedisProbe } from '@saas/redis';
import { HealthModule, instanceName, runService, type ServiceOptions } from '@saas/server';
import { telemetryEnv, TelemetryModule } from '@saas/telemetry';

/**
 * The settings every service validates at start. Apps spread this and add their own. The OTEL_* ones
 * are read earlier still, by startTelemetry in each app's tracing.ts; listed here so the env contract
 * (tools/env-contract.ts, the chart tests) knows them.
 */
export const platformEnv = {
  ...serverEnv,
  ...databaseEnv,
  ...redisEnv,
  ...kafkaEnv,
  ...jwtEnv,
  ...telemetryEnv,
} satisfies EnvShape;

export type PlatformConfig = ReturnType<typeof loadConfig<typeof platformEnv>>;

export interface PlatformSpec {
  service: string;
  description: string;
  entities: DataModuleOptions['entities'];
  /** The service's own migrations; the outbox/inbox migration is added for every service. */
  migrations: NonNullable<DataModuleOptions['migrations']>;
  /** Kafka topics the service produces or consumes; created with their .dlq twins at start. */
  topics: string[];
}

export function serviceOptions(service: string, config: PlatformConfig, description = ''): ServiceOptions {
  return {
    name: service,
    description,
    port: config.PORT,
    host: config.HOST,
    instanceId: config.INSTANCE_ID,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    shutdownDrainMs: config.SHUTDOWN_DRAIN_MS,
  };
}

function dataOptions(spec: PlatformSpec, config: PlatformConfig): DataModuleOptions {
  return {
    service: spec.service,
    primaryUrl: config.DATABASE_PRIMARY_URL,
    replicaUrls: config.DATABASE_REPLICA_URLS,
    entities: spec.entities,
    migrations: [...MESSAGING_MIGRATIONS, ...(spec.migrations as never[])],
    poolSize: config.DATABASE_POOL_SIZE,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    replicaMaxLagBytes: config.DATABASE_REPLICA_MAX_LAG_BYTES,
  };
}

/** Logging, metrics, traces, health, Postgres (primary + replicas), Redis, Kafka and JWT verification, wired the same way in every service. */
@Module({})
export class PlatformModule {
  static forRoot(spec: PlatformSpec, config: PlatformConfig): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        // Flushes buffered spans on shutdown (onApplicationShutdown: after consumers, relay and pools stopped).
        TelemetryModule,
        ObservabilityModule.forRoot({
          service: spec.service,
          instance: instanceName({ name: spec.service, instanceId: config.INSTANCE_ID, port: config.PORT }),
          logLevel: config.LOG_LEVEL,
        }),
        DataModule.forRoot(dataOptions(spec, config)),
        RedisModule.forRoot({
          url: config.REDIS_URL,
          commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
          connectionName: spec.service,
        }),
        MessagingModule.forRoot({
          service: spec.service,
          source: `/${spec.service}`,
          primaryUrl: config.DATABASE_PRIMARY_URL,
          brokers: config.KAFKA_BROKERS,
          clientId: config.KAFKA_CLIENT_ID ?? spec.service,
          topics: spec.topics,
          topicPrefix: config.KAFKA_TOPIC_PREFIX,
          partitions: config.KAFKA_TOPIC_PARTITIONS,
          replicationFactor: config.KAFKA_TOPIC_REPLICATION_FACTOR,
          consumerMaxAttempts: config.KAFKA_CONSUMER_MAX_ATTEMPTS,
          relay: {
            outboxRetentionSeconds: config.OUTBOX_RETENTION_SECONDS,
            inboxRetentionSeconds: config.INBOX_RETENTION_SECONDS,
          },
        }),
        AuthModule.forRoot({
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
          jwksUrl: config.JWKS_URL,
          revocationFailOpen: config.AUTH_REVOCATION_FAIL_OPEN,
          maxTokenAgeSeconds: config.JWT_MAX_TOKEN_AGE_SECONDS,
        }),
        HealthModule.forRoot({
          dependencies: [PostgresPrimaryProbe, PostgresReplicasProbe, RedisProbe, KafkaProbe],
          readiness: [DatabasePoolReadiness],
        }),
      ],
    };
  }
}

/** Applies the service's migrations on the primary and exits; `node main.js migrate` and `nx run <app>:migrate`. */
export async function migrate(spec: PlatformSpec, config: PlatformConfig): Promise<string[]> {
  const database = createDatabase(dataOptions(spec, config));
  const source = database.primary.dataSource;
  await source.initialize();
  try {
    const applied = await source.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await source.destroy();
  }
}

/**
 * The whole main.ts of a service: `main.js` serves, `main.js migrate` applies migrations, and
 * `main.js <command> [args]` runs one of the service's own commands (e.g. catalog's `seed`).
 * A bad or missing setting stops the process with one line naming it.
 */
export function main<S extends EnvShape & typeof platformEnv>(
  spec: PlatformSpec,
  env: S,
  appModule: (config: ReturnType<typeof loadConfig<S>>) => Type<unknown> | DynamicModule,
  commands: Record<string, (config: ReturnType<typeof loadConfig<S>>, args: string[]) => Promise<string>> = {},
): void {
  const all: typeof commands = {
    migrate: async (config) => {
      const applied = await migrate(spec, config as PlatformConfig);
      return applied.length ? `applied ${applied.join(', ')}` : 'schema up to date';
    },
    ...commands,
  };
  const command = process.argv[2];
  if (command && all[command]) {
    let config: ReturnType<typeof loadConfig<S>>;
    try {
      config = loadConfig(env);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exit(1);
    }
    all[command](config, process.argv.slice(3)).then(
      (summary) => {
        new Logger(command).log(summary);
        process.exit(0);
      },
      (error: Error) => {
        process.stderr.write(`${command} failed: ${error.message}\n`);
        process.exit(1);
      },
    );
    return;
  }
  void runService(() => {
    const config = loadConfig(env);
    return { module: appModule(config), options: serviceOptions(spec.service, config as PlatformConfig, spec.description) };
  });
}
