import { Logger } from '@nestjs/common';
import { counter } from '@saas/observability';
import { RequestContext } from '@saas/server';
import type { EntityManager } from 'typeorm';
import { consistency } from './consistency';
import { DatabaseUnavailableError, isUnavailable } from './errors';
import { HeldConnection } from './held-connection';
import { parseLsn } from './lsn';
import { DatabaseNode } from './node';
import { ReplicaMonitor, type ReplicaState } from './replica-monitor';

export type Work<T> = (manager: EntityManager) => Promise<T>;

export type ReadRoute = 'replica' | 'primary:after-write' | 'primary:token-ahead' | 'primary:no-replica' | 'primary:replica-failed';

/**
 * The only way services reach Postgres. Writes and transactions always run on the primary; reads
 * run on a replica only through `read()`, which keeps read-your-writes:
 *  - after a write in the same request, reads use the primary;
 *  - a consistency token (WAL position) from an earlier response is honoured: served by a replica
 *    already known to have replayed past it (positions only grow), else checked on the very
 *    connection that will serve the read, else sent to the primary;
 *  - replicas that are down or lag past the bound are skipped (see ReplicaMonitor).
 */
export class Database {
  private readonly logger = new Logger('Database');
  private readonly reads = counter('db_reads_total', 'Reads by the node that served them and why', ['route']);
  private readonly writes = counter('db_writes_total', 'Write transactions by outcome', ['outcome']);
  private readonly tokenChecks = counter(
    'db_consistency_checks_total',
    'Consistency-token reads on a replica: answered from the known replay position, or by asking the replica',
    ['how'],
  );
  private nextReplica = 0;

  constructor(
    readonly primary: DatabaseNode,
    readonly replicas: DatabaseNode[],
    readonly monitor: ReplicaMonitor,
  ) {}

  /** Connects every node (first attempt inline, then background retries: a down node never blocks). */
  async connect(): Promise<void> {
    await Promise.all([this.primary, ...this.replicas].map((node) => node.start()));
  }

  /** Stops replica monitoring and closes every node's pool. */
  async close(): Promise<void> {
    this.monitor.stop();
    await Promise.all([this.primary, ...this.replicas].map((node) => node.close()));
  }

  /** Runs `work` in one primary transaction and remembers its WAL position for the consistency token. */
  async write<T>(work: Work<T>): Promise<T> {
    let result: T;
    try {
      result = await this.primary.dataSource.transaction(work);
      // Only a request can hand a token back; background writers (consumers) skip the round trip.
      if (RequestContext.active) {
        const [row] = await this.primary.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
        const lsn = parseLsn(row?.lsn);
        if (lsn !== undefined) consistency.wroteAt(lsn);
      }
    } catch (error) {
      this.writes.inc({ outcome: 'error' });
      if (isUnavailable(error) || !this.primary.ready) throw new DatabaseUnavailableError('primary');
      throw error;
    }
    this.writes.inc({ outcome: 'ok' });
    return result;
  }

  /** A primary connection of its own for one background worker (see HeldConnection); `release()` it on stop. */
  holdPrimaryConnection(): HeldConnection {
    return new HeldConnection(this.primary);
  }

  /** A read that must see the latest committed state (e.g. uniqueness checks before a write). */
  async readPrimary<T>(work: Work<T>): Promise<T> {
    return this.onPrimary('primary:after-write', work);
  }

  async read<T>(work: Work<T>): Promise<T> {
    if (consistency.hasWritten) return this.onPrimary('primary:after-write', work);
    const replica = this.pickReplica();
    if (!replica) return this.onPrimary('primary:no-replica', work);
    const required = consistency.required();
    try {
      if (required === undefined) return await this.onReplica(replica, replica.dataSource.manager, work);
      // Fast path: the replica is already known to have replayed past the token (no round trip).
      if (this.monitor.replayedAtLeast(replica, required)) {
        this.tokenChecks.inc({ how: 'known' });
        return await this.onReplica(replica, replica.dataSource.manager, work);
      }
      // Otherwise ask on the very connection that will serve the read.
      this.tokenChecks.inc({ how: 'asked' });
      const runner = replica.dataSource.createQueryRunner();
      try {
        const [row] = await runner.query('select pg_last_wal_replay_lsn()::text as replay');
        const replay = parseLsn(row?.replay);
        if (replay !== undefined) this.monitor.noteReplay(replica, replay);
        if (replay === undefined || replay < required) {
          await runner.release();
          return this.onPrimary('primary:token-ahead', work);
        }
        return await this.onReplica(replica, runner.manager, work);
      } finally {
        if (!runner.isReleased) await runner.release();
      }
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      this.monitor.markBroken(replica, (error as Error).message);
      this.logger.warn(`replica ${replica.name} failed a read, retrying on the primary: ${(error as Error).message}`);
      return this.onPrimary('primary:replica-failed', work);
    }
  }

  /**
   * True when this request wrote, or presented a consistency token: caches that do not track WAL
   * positions must be bypassed so the caller reads its own writes.
   */
  get mustReadYourWrites(): boolean {
    return consistency.required() !== undefined;
  }

  replicaStates(): ReplicaState[] {
    return this.monitor.snapshot();
  }

  private pickReplica(): DatabaseNode | undefined {
    const usable = this.monitor.usable().filter((replica) => replica.ready);
    if (usable.length === 0) return undefined;
    this.nextReplica = (this.nextReplica + 1) % usable.length;
    return usable[this.nextReplica];
  }

  private async onReplica<T>(replica: DatabaseNode, manager: EntityManager, work: Work<T>): Promise<T> {
    const result = await work(manager);
    this.served('replica', replica.name);
    return result;
  }

  private async onPrimary<T>(route: ReadRoute, work: Work<T>): Promise<T> {
    try {
      const result = await work(this.primary.dataSource.manager);
      this.served(route, 'primary');
      return result;
    } catch (error) {
      if (isUnavailable(error) || !this.primary.ready) throw new DatabaseUnavailableError('primary');
      throw error;
    }
  }

  private served(route: ReadRoute, node: string): void {
    this.reads.inc({ route });
    consistency.readFrom(node);
  }
}
