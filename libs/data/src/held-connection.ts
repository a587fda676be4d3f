import type { EntityManager, QueryRunner } from 'typeorm';
import type { DatabaseNode } from './node';

/**
 * One connection of a node's pool held by one background worker (the outbox relay): its statements
 * never queue behind the requests sharing the pool, and it can keep session state (an advisory lock)
 * between calls. A connection that fails (server restart) is released by TypeORM; the next call takes
 * a fresh one and says so through `session`, since session state did not carry over.
 */
export class HeldConnection {
  private runner?: QueryRunner;
  private session = 0;

  constructor(private readonly node: DatabaseNode) {}

  /** Runs `work` on the held connection; statements autocommit. */
  async run<T>(work: (manager: EntityManager, session: number) => Promise<T>): Promise<T> {
    const runner = await this.acquire();
    return work(runner.manager, this.session);
  }

  /** Hands the connection back to the pool without the session's advisory locks. */
  async release(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (!runner || runner.isReleased) return;
    await runner.query('select pg_advisory_unlock_all()').catch(() => undefined);
    await runner.release().catch(() => undefined);
  }

  private async acquire(): Promise<QueryRunner> {
    if (this.runner && !this.runner.isReleased) return this.runner;
    this.node.assertReady();
    const runner = this.node.dataSource.createQueryRunner('master');
    await runner.connect();
    this.runner = runner;
    this.session++;
    return runner;
  }
}
