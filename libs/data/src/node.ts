import { Logger } from '@nestjs/common';
import { nameDatabaseNode } from '@saas/telemetry';
import { Pool } from 'pg';
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
  /** Waiters and no connection handed back for this long while the server answers = a wedged pool. */
  poolStallMs?: number;
}

/** The slice of pg's Pool that the stall check reads (TypeORM keeps the pool as `driver.master`). */
interface PgPoolView {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  on(event: 'acquire' | 'release', listener: () => void): unknown;
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
  /**
   * One connection of its own for health probes and the replica monitor, so they never queue
   * behind requests in the pool (a saturated pool must not look like a dead server).
   */
  private readonly probePool: Pool;
  private readonly poolStallMs: number;
  private lastPoolProgress = Date.now();
  /** The last probe's verdict: the server itself answers. */
  private serverAnswers = false;

  constructor(
    readonly name: string,
    settings: NodeSettings,
  ) {
    this.logger = new Logger(`Database:${name}`);
    // Every pg span then says which node it ran on (db.node: primary, replica-1...).
    nameDatabaseNode(settings.url, name);
    this.poolStallMs = settings.poolStallMs ?? Math.max(10_000, settings.statementTimeoutMs * 2);
    this.probePool = new Pool({
      connectionString: settings.url,
      max: 1,
      connectionTimeoutMillis: settings.connectTimeoutMs,
      statement_timeout: Math.min(settings.statementTimeoutMs, 2_000),
      application_name: `${settings.applicationName}:probe`,
      keepAlive: true,
    });
    // An idle probe connection dropped by a server restart must not crash the process.
    this.probePool.on('error', (error) => this.logger.debug(`probe connection lost: ${error.message}`));
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
      .then(() => {
        this.watchPool();
        this.logger.log('connected');
      })
      .catch((error: Error) => {
        this.logger.warn(`not reachable yet (${error.message}); retrying every ${retryMs} ms`);
        this.connecting = undefined;
        if (!this.closed) this.retryTimer = setTimeout(() => void this.start(retryMs), retryMs);
      })
      .then(() => undefined);
    return this.connecting;
  }

  async query<T = Record<string, unknown>>(sql: string, parameters?: unknown[]): Promise<T[]> {
    this.assertReady();
    return this.dataSource.query(sql, parameters);
  }

  /** Throws what a refused connection would (isUnavailable: a 503) while the node is not connected yet. */
  assertReady(): void {
    if (!this.ready) throw Object.assign(new Error(`${this.name} not initialized`), { code: 'ECONNREFUSED' });
  }

  /** A query on the probe connection (health probes, replica monitoring); never waits for the request pool. */
  async probe<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    try {
      const result = await this.probePool.query(sql);
      this.serverAnswers = true;
      return result.rows as T[];
    } catch (error) {
      this.serverAnswers = false;
      throw error;
    }
  }

  /**
   * Why this process's own pool is unusable, if it is: requests waiting while no connection has been
   * handed out or back for `poolStallMs` (connections leaked or wedged). A busy pool keeps moving and a
   * dead server is the shared dependency's problem (the caller checks the server answers probes).
   */
  poolStall(): string | undefined {
    const pool = this.pgPool();
    if (!pool || !this.serverAnswers || pool.waitingCount === 0 || pool.idleCount > 0) return undefined;
    const still = Date.now() - this.lastPoolProgress;
    if (still < this.poolStallMs) return undefined;
    return `${this.name} pool stalled: ${pool.waitingCount} waiting, ${pool.totalCount} connections busy, none released for ${Math.round(still / 1000)} s`;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connecting;
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.probePool.end().catch(() => undefined);
  }

  private pgPool(): PgPoolView | undefined {
    if (!this.dataSource.isInitialized) return undefined;
    return (this.dataSource.driver as unknown as { master?: PgPoolView }).master;
  }

  private watchPool(): void {
    const progress = () => (this.lastPoolProgress = Date.now());
    progress();
    this.pgPool()?.on('acquire', progress);
    this.pgPool()?.on('release', progress);
  }

  static isUnavailable = isUnavailable;
}
