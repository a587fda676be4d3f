import type { IncomingHttpHeaders } from 'node:http';
import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { REQUEST_HEADER_HOOK, type DependencyProbe, type DependencyReport, type ReadinessCheck, type RequestHeaderHook } from '@saas/server';
import type { DataSourceOptions } from 'typeorm';
import { consistency, CONSISTENCY_TOKEN_HEADER, READ_NODE_HEADER } from './consistency';
import { Database } from './database';
import { DatabaseNode } from './node';
import { ReplicaMonitor } from './replica-monitor';

export interface DataModuleOptions {
  /** Service name: application_name on connections and the migrations table name. */
  service: string;
  primaryUrl: string;
  replicaUrls: string[];
  entities: DataSourceOptions['entities'];
  migrations?: DataSourceOptions['migrations'];
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  replicaMaxLagBytes: number;
  replicaCheckIntervalMs?: number;
  /** See NodeSettings.poolStallMs (default: max(10 s, 2 x statement timeout)). */
  poolStallMs?: number;
}

const OPTIONS = Symbol('DataModuleOptions');

export function createDatabase(options: DataModuleOptions): Database {
  const node = (name: string, url: string, withMigrations: boolean) =>
    new DatabaseNode(name, {
      url,
      entities: options.entities,
      migrations: withMigrations ? options.migrations : [],
      migrationsTableName: `${options.service}_migrations`,
      poolSize: options.poolSize,
      connectTimeoutMs: options.connectTimeoutMs,
      statementTimeoutMs: options.statementTimeoutMs,
      applicationName: options.service,
      poolStallMs: options.poolStallMs,
    });
  const primary = node('primary', options.primaryUrl, true);
  const replicas = options.replicaUrls.map((url, index) => node(`replica-${index + 1}`, url, false));
  return new Database(primary, replicas, new ReplicaMonitor(primary, replicas, options.replicaMaxLagBytes));
}

@Injectable()
class DatabaseLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly database: Database,
    @Inject(OPTIONS) private readonly options: DataModuleOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.database.connect();
    this.database.monitor.start(this.options.replicaCheckIntervalMs ?? 1_000);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}

/** Reads `x-consistency-token` from the request and returns the new one (and which node served reads). */
@Injectable()
class ConsistencyHeaders implements RequestHeaderHook {
  onRequest(headers: IncomingHttpHeaders): void {
    consistency.presented(headers[CONSISTENCY_TOKEN_HEADER]);
  }

  // On errors too: a 404 read from a stale replica must still say which node answered.
  annotate(setHeader: (name: string, value: string) => void): void {
    const token = consistency.token();
    if (token) setHeader(CONSISTENCY_TOKEN_HEADER, token);
    const node = consistency.readNode;
    if (node) setHeader(READ_NODE_HEADER, node);
  }
}

/** The primary, probed on its own connection: down means writes answer 503 (reads go on from replicas). */
@Injectable()
export class PostgresPrimaryProbe implements DependencyProbe {
  readonly key = 'postgres-primary';

  constructor(private readonly database: Database) {}

  async probe(): Promise<DependencyReport> {
    try {
      await this.database.primary.probe('select 1');
      return { state: 'up' };
    } catch (error) {
      return { state: 'down', details: { reason: (error as Error).message, effect: 'writes answer 503; reads use the replicas' } };
    }
  }
}

/** The replicas as the replica monitor sees them: some skipped = degraded, none usable = down (reads on the primary). */
@Injectable()
export class PostgresReplicasProbe implements DependencyProbe {
  readonly key = 'postgres-replicas';

  constructor(private readonly database: Database) {}

  async probe(): Promise<DependencyReport> {
    await this.database.monitor.checked();
    const replicas = this.database.replicaStates();
    const usable = replicas.filter((replica) => replica.usable).length;
    if (usable === replicas.length) return { state: 'up', details: { replicas } };
    const skipped = replicas.filter((replica) => !replica.usable).map((replica) => `${replica.name}: ${replica.reason}`);
    return {
      state: usable === 0 ? 'down' : 'degraded',
      details: { reason: skipped.join('; '), effect: 'reads from skipped replicas go to the primary', replicas },
    };
  }
}

/** Unready only when this process's own pool is wedged while the server answers (a leak, not an outage). */
@Injectable()
export class DatabasePoolReadiness implements ReadinessCheck {
  readonly key = 'databasePool';

  constructor(private readonly database: Database) {}

  problem(): string | undefined {
    const stalled = [this.database.primary, ...this.database.replicas].map((node) => node.poolStall()).filter(Boolean);
    return stalled.length ? stalled.join('; ') : undefined;
  }
}

@Global()
@Module({})
export class DataModule {
  static forRoot(options: DataModuleOptions): DynamicModule {
    return {
      module: DataModule,
      providers: [
        { provide: OPTIONS, useValue: options },
        { provide: Database, useFactory: () => createDatabase(options) },
        DatabaseLifecycle,
        PostgresPrimaryProbe,
        PostgresReplicasProbe,
        DatabasePoolReadiness,
        { provide: REQUEST_HEADER_HOOK, useClass: ConsistencyHeaders },
      ],
      exports: [Database, PostgresPrimaryProbe, PostgresReplicasProbe, DatabasePoolReadiness, REQUEST_HEADER_HOOK],
    };
  }
}
