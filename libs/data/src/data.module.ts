import {
  CallHandler,
  DynamicModule,
  ExecutionContext,
  Global,
  Inject,
  Injectable,
  Module,
  NestInterceptor,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import type { ReadinessCheck } from '@saas/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, tap } from 'rxjs';
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
class ConsistencyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    consistency.presented(request.headers[CONSISTENCY_TOKEN_HEADER]);
    const annotate = () => {
      const token = consistency.token();
      if (token) reply.header(CONSISTENCY_TOKEN_HEADER, token);
      const node = consistency.readNode;
      if (node) reply.header(READ_NODE_HEADER, node);
    };
    // On errors too: a 404 read from a stale replica must still say which node answered.
    return next.handle().pipe(tap({ next: annotate, error: annotate }));
  }
}

@Injectable()
export class DatabaseReadiness implements ReadinessCheck {
  readonly key = 'database';

  constructor(
    private readonly database: Database,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** Ready needs the primary; replica trouble is reported in the details but only degrades reads. */
  async check() {
    const indicator = this.indicators.check(this.key);
    const replicas = this.database.replicaStates();
    try {
      await this.database.primary.query('select 1');
      return indicator.up({ primary: 'up', replicas, degraded: replicas.some((replica) => !replica.usable) });
    } catch (error) {
      return indicator.down({ primary: `down: ${(error as Error).message}`, replicas });
    }
  }
}

@Global()
@Module({})
export class DataModule {
  static forRoot(options: DataModuleOptions): DynamicModule {
    return {
      module: DataModule,
      imports: [TerminusModule],
      providers: [
        { provide: OPTIONS, useValue: options },
        { provide: Database, useFactory: () => createDatabase(options) },
        DatabaseLifecycle,
        DatabaseReadiness,
        { provide: APP_INTERCEPTOR, useClass: ConsistencyInterceptor },
      ],
      exports: [Database, DatabaseReadiness],
    };
  }
}
