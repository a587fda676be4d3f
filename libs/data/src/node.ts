import { Logger } from '@nestjs/common';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { isUnavailable } from './errors';

export interface NodeSettings {
  url: string;
  entities: DataSourceOptions['entities'];
  migrations?: DataSourceOptions['migrations'];
  migrationsTableName?: string;
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  applicationName: string;
}

/**
 * One Postgres server behind its own TypeORM DataSource. It connects in the background and keeps
 * retrying, so a service boots (and serves what it can) while a node is down, and a node that
 * comes back is used again without a restart.
 */
export class DatabaseNode {
  readonly dataSource: DataSource;
  private connecting?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly logger: Logger;

  constructor(
    readonly name: string,
    settings: NodeSettings,
  ) {
    this.logger = new Logger(`Database:${name}`);
    this.dataSource = new DataSource({
      type: 'postgres',
      url: settings.url,
      entities: settings.entities,
      migrations: settings.migrations ?? [],
      migrationsTableName: settings.migrationsTableName,
      synchronize: false,
      migrationsRun: false,
      poolSize: settings.poolSize,
      connectTimeoutMS: settings.connectTimeoutMs,
      applicationName: settings.applicationName,
      extra: {
        statement_timeout: settings.statementTimeoutMs,
        idle_in_transaction_session_timeout: settings.statementTimeoutMs * 2,
        // A dead server must not leave requests hanging on half-open sockets.
        keepAlive: true,
      },
      poolErrorHandler: (error: Error) => this.logger.warn(`pool error: ${error.message}`),
    });
  }

  get ready(): boolean {
    return this.dataSource.isInitialized;
  }

  /** Connect now; on failure keep retrying in the background every `retryMs`. */
  start(retryMs = 2_000): Promise<void> {
    this.connecting ??= this.dataSource
      .initialize()
      .then(() => this.logger.log('connected'))
      .catch((error: Error) => {
        this.logger.warn(`not reachable yet (${error.message}); retrying every ${retryMs} ms`);
        this.connecting = undefined;
        if (!this.closed) this.retryTimer = setTimeout(() => void this.start(retryMs), retryMs);
      })
      .then(() => undefined);
    return this.connecting;
  }

  async query<T = Record<string, unknown>>(sql: string, parameters?: unknown[]): Promise<T[]> {
    if (!this.ready) throw Object.assign(new Error(`${this.name} not initialized`), { code: 'ECONNREFUSED' });
    return this.dataSource.query(sql, parameters);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connecting;
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  static isUnavailable = isUnavailable;
}
