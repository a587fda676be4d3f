import { Logger } from '@nestjs/common';
import type { Database, HeldConnection } from '@saas/data';
import { counter, gauge } from '@saas/observability';
import {
  contextFromTraceparent,
  recordFailure,
  SpanKind,
  startSpan,
  traceparentOf,
  withoutTracing,
  type Span,
} from '@saas/telemetry';
import { Client } from 'pg';
import type { EntityManager } from 'typeorm';
import type { KafkaConnection } from './kafka.connection';
import { eventAttributes, OUTBOX_CHANNEL } from './outbox';

interface OutboxRow {
  seq: string;
  topic: string;
  key: string;
  message: { value: string; headers: Record<string, string> };
}

export interface RelayOptions {
  service: string;
  primaryUrl: string;
  batchSize?: number;
  pollMs?: number;
  maxBackoffMs?: number;
  /** Published outbox rows older than this are deleted (default 3600 s). */
  outboxRetentionSeconds?: number;
  /** Inbox rows older than this are deleted (default 7 days: keep it at least the topics' retention). */
  inboxRetentionSeconds?: number;
  /** How often the publishing relay purges expired rows (default 60 s). */
  purgeEveryMs?: number;
}

/** Rows deleted per statement (short statements, short row locks), and how long one purge may go on. */
const PURGE_BATCH = 5_000;
const PURGE_MAX_MS = 10_000;

// Expired rows by the index the retention migration adds, deleted by physical address (ctid): no sort, no join.
const PURGE_SQL = {
  outbox: `delete from outbox where ctid = any(array(
             select ctid from outbox where published_at < now() - make_interval(secs => $1) limit $2))`,
  inbox: `delete from inbox where ctid = any(array(
            select ctid from inbox where processed_at < now() - make_interval(secs => $1) limit $2))`,
} as const;

// The next batch in commit order; given the batch just sent, the same statement marks it sent (one round trip per
// batch, not two). Its select sees the table as before the update, so it leaves that batch out by seq.
const NEXT_BATCH_SQL = 'select seq, topic, key, message from outbox where published_at is null order by seq limit $1';
const MARK_AND_NEXT_BATCH_SQL = `with marked as (update outbox set published_at = now() where seq = any($2::bigint[]))
  select seq, topic, key, message from outbox where published_at is null and seq <> all($2::bigint[]) order by seq limit $1`;
const MARK_SQL = 'update outbox set published_at = now() where seq = any($1::bigint[])';

/**
 * The PRODUCER span of one event's publication, a child of the span that wrote it to the outbox (its
 * stored `traceparent`), so the request, its outbox write, the publish and each consumer form one
 * trace. Events stored without one (written while tracing was off) get none: each would start a trace.
 */
function publishSpan(row: OutboxRow): Span | undefined {
  const origin = row.message.headers.traceparent;
  if (!origin) return undefined;
  return startSpan(`publish ${row.topic}`, {
    kind: SpanKind.PRODUCER,
    parent: contextFromTraceparent(origin),
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': row.topic,
      'messaging.kafka.message.key': row.key,
      'messaging.message.id': row.message.headers.ce_id,
      ...eventAttributes(row.message.headers.ce_type, row.message.headers.ce_subject),
    },
  });
}

// One advisory lock per database: one relay publishes at a time, so events leave in commit order per key.
const RELAY_LOCK = 0x5aa5_0b0c;

/**
 * Publishes outbox rows to Kafka in commit order and marks them sent. Every replica runs a relay; the
 * one holding a session-level advisory lock on its own primary connection publishes, the others retry
 * the lock every poll interval and take over when that connection ends (process gone, server restart).
 * Holding the lock, a batch costs one statement and one send: the statement that fetches a batch also
 * marks the previous one sent. A crash between a send and its mark re-sends that batch: consumers are
 * idempotent (inbox), so delivery is at-least-once, effects once. The publishing relay is also the one
 * housekeeper of its database: once a minute, beside publishing, it deletes published outbox rows and
 * inbox rows past their retention, so neither table grows without bound.
 */
export class OutboxRelay {
  private readonly logger = new Logger('OutboxRelay');
  private readonly published = counter('outbox_published_total', 'Events published from the outbox');
  private readonly backlog = gauge('outbox_backlog', 'Unpublished events in the outbox');
  private readonly oldest = gauge('outbox_oldest_age_seconds', 'Age of the oldest unpublished event');
  private readonly purged = counter('messaging_rows_purged_total', 'Expired outbox and inbox rows deleted by the relay', ['table']);
  private lastPurge = 0;
  /** The purge in progress: it runs beside publishing, on a pool connection, never in the publishing loop. */
  private purging?: Promise<void>;
  private stopped = true;
  private loop?: Promise<void>;
  private wake?: () => void;
  private listener?: Client;
  private lastStats = 0;
  /** The relay's own primary connection: it must not wait behind the writes it publishes, and it holds the lock. */
  private readonly connection: HeldConnection;
  /** The connection session on which this relay holds the lock (none: standing by). */
  private leaderOn?: number;
  /** A commit notified while a batch was in flight: drain again before sleeping. */
  private notified = false;
  /** Seqs of the batch sent to Kafka and not yet marked: the next batch's statement marks them. */
  private sentUnmarked: string[] = [];
  /** Retention per table and how often to purge, with their defaults resolved once. */
  private readonly retentionSeconds: { outbox: number; inbox: number };
  private readonly purgeEveryMs: number;

  constructor(
    private readonly db: Database,
    private readonly kafka: KafkaConnection,
    private readonly options: RelayOptions,
  ) {
    this.connection = db.holdPrimaryConnection();
    this.retentionSeconds = { outbox: options.outboxRetentionSeconds ?? 3_600, inbox: options.inboxRetentionSeconds ?? 7 * 24 * 3_600 };
    this.purgeEveryMs = options.purgeEveryMs ?? 60_000;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.listen();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.markSent().catch((error: Error) => {
      // The next relay to publish sends them again; consumers skip what they have applied.
      this.logger.warn(`cannot mark the last batch sent (${error.message}); it will be published again`);
    });
    await this.purging;
    await this.connection.release();
    await this.listener?.end().catch(() => undefined);
  }

  /** Publishes at most one batch; returns how many events left. Exposed for tests and benchmarks. */
  async drainOnce(): Promise<number> {
    try {
      return await this.drainBatch(true);
    } finally {
      // Called on its own (tests, benchmarks), it must not keep a connection the pool's close waits for.
      if (this.stopped) await this.connection.release();
    }
  }

  /** Sends the next batch; `markNow` marks it sent at once, otherwise the next batch's statement does. */
  private drainBatch(markNow: boolean): Promise<number> {
    const batchSize = this.options.batchSize ?? 200;
    this.notified = false;
    return this.connection.run(async (em, session) => {
      if (!(await this.lead(em, session))) {
        // Another replica leads now: it publishes these rows again (consumers skip what they have applied).
        this.sentUnmarked = [];
        return 0;
      }
      // Only the lock holder reads and marks rows, so no row lock or transaction is needed.
      const sent = this.sentUnmarked;
      const rows: OutboxRow[] = sent.length
        ? await em.query(MARK_AND_NEXT_BATCH_SQL, [batchSize, sent])
        : await em.query(NEXT_BATCH_SQL, [batchSize]);
      this.sentUnmarked = [];
      if (rows.length === 0) return 0;
      const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
      const spans: Span[] = [];
      for (const row of rows) {
        const span = publishSpan(row);
        if (span) spans.push(span);
        // The message carries its publish span's context: the consumer's span becomes its child.
        const traceparent = span && traceparentOf(span);
        const headers = traceparent ? { ...row.message.headers, traceparent } : row.message.headers;
        const messages = byTopic.get(row.topic) ?? [];
        messages.push({ key: row.key, value: row.message.value, headers });
        byTopic.set(row.topic, messages);
      }
      try {
        // One batch carries events of many requests, but kafkajs' instrumentation would give every
        // message the batch's single context (overwriting each traceparent): it is kept out of this send.
        await withoutTracing(() =>
          this.kafka.producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          }),
        );
      } catch (error) {
        for (const span of spans) recordFailure(span, error);
        throw error;
      } finally {
        for (const span of spans) span.end();
      }
      const seqs = rows.map((row) => row.seq);
      if (markNow) await em.query(MARK_SQL, [seqs]);
      else this.sentUnmarked = seqs;
      this.published.inc(rows.length);
      return rows.length;
    });
  }

  /** Marks the batch last sent, when the next batch's statement will not (the relay is stopping). */
  private async markSent(): Promise<void> {
    const sent = this.sentUnmarked;
    if (sent.length === 0 || !this.publishing) return;
    await this.connection.run((em) => em.query(MARK_SQL, [sent]));
    this.sentUnmarked = [];
  }

  /**
   * Deletes expired outbox and inbox rows in batches, for at most ~10 s; returns how many of each. Only the
   * lock holder purges: one housekeeper per database, whatever the replica count. Its statements go through
   * the pool, so publishing (on the relay's own connection) never waits for them. Exposed for tests.
   */
  async purgeExpired(): Promise<{ outbox: number; inbox: number }> {
    const deleted = { outbox: 0, inbox: 0 };
    try {
      // Running, the publishing loop keeps the lock; called on its own (tests), take it like a drain would.
      const leading = this.stopped ? await this.connection.run((em, session) => this.lead(em, session)) : this.publishing;
      if (!leading) return deleted;
      const deadline = Date.now() + PURGE_MAX_MS;
      // A purge beside publishing ends early when the relay stops (graceful shutdown must not wait for it).
      const background = !this.stopped;
      for (const table of ['outbox', 'inbox'] as const) {
        let affected = PURGE_BATCH;
        while (affected === PURGE_BATCH && Date.now() < deadline && !(background && this.stopped)) {
          const [, count] = (await this.db.primary.query(PURGE_SQL[table], [this.retentionSeconds[table], PURGE_BATCH])) as unknown as [unknown, number];
          affected = Number(count ?? 0);
          deleted[table] += affected;
          this.purged.inc({ table }, affected);
        }
      }
    } finally {
      // Called on its own (tests), like drainOnce, it must not keep the connection and its lock.
      if (this.stopped) await this.connection.release();
    }
    return deleted;
  }

  /** Starts a purge beside publishing when one is due and none is running. */
  private purgeIfDue(): void {
    if (this.purging || Date.now() - this.lastPurge < this.purgeEveryMs) return;
    this.lastPurge = Date.now();
    this.purging = this.purgeExpired()
      .then((deleted) => {
        if (deleted.outbox + deleted.inbox > 0) this.logger.log(`purged ${deleted.outbox} outbox and ${deleted.inbox} inbox rows past retention`);
      })
      .catch((error: Error) => {
        // Housekeeping never stops publishing: the rows stay until the next purge.
        this.logger.warn(`cannot purge expired outbox/inbox rows (${error.message}); retrying in ${this.purgeEveryMs / 1000} s`);
      })
      .finally(() => (this.purging = undefined));
  }

  /** Holds the relay lock on this connection session, taking it if free; false: another replica holds it. */
  private async lead(em: EntityManager, session: number): Promise<boolean> {
    if (this.leaderOn === session) return true;
    this.leaderOn = undefined;
    const [{ locked }] = await em.query('select pg_try_advisory_lock($1) as locked', [RELAY_LOCK]);
    if (!locked) return false;
    this.leaderOn = session;
    this.logger.log('this replica publishes the outbox (relay lock taken)');
    return true;
  }

  /** True while this relay holds the lock (others stand by). */
  get publishing(): boolean {
    return this.leaderOn !== undefined;
  }

  private async run(): Promise<void> {
    const pollMs = this.options.pollMs ?? 1_000;
    const maxBackoffMs = this.options.maxBackoffMs ?? 5_000;
    let backoff = 0;
    while (!this.stopped) {
      try {
        if (!this.kafka.connected) throw new Error('kafka producer not connected');
        const sent = await this.drainBatch(false);
        if (backoff > 0) this.logger.log('publishing again');
        backoff = 0;
        await this.refreshStats();
        if (this.publishing) this.purgeIfDue();
        // After a send, drain again at once: that statement marks the batch and finds what came meanwhile.
        if (sent > 0 || (this.notified && this.publishing)) continue;
        // Standing by, commits are not ours to publish: only retry the lock each poll interval.
        await this.sleep(pollMs, this.publishing);
      } catch (error) {
        // A broker restart mid-send can leave the idempotent producer unable to send ever again.
        if (await this.kafka.recover(error)) continue;
        backoff = Math.min(maxBackoffMs, backoff ? backoff * 2 : 100);
        if (backoff === maxBackoffMs || backoff === 100) {
          this.logger.warn(`cannot publish (${(error as Error).message}); retrying with backoff up to ${maxBackoffMs} ms`);
        }
        await this.refreshStats().catch(() => undefined);
        await this.sleep(backoff, false);
      }
    }
  }

  private async refreshStats(): Promise<void> {
    if (Date.now() - this.lastStats < 1_000) return;
    this.lastStats = Date.now();
    // Straight to the primary node: bookkeeping, not a request read, so it stays out of db_reads_total.
    const [row] = await this.db.primary.query<{ pending: number; age: number }>(
      `select count(*)::int as pending, coalesce(extract(epoch from now() - min(created_at)), 0)::float as age
         from outbox where published_at is null`,
    );
    this.backlog.set(row.pending);
    this.oldest.set(row.age);
  }

  /** Waits for `ms`, or less when a commit NOTIFYs (unless `wakeable` is false, as during backoff). */
  private sleep(ms: number, wakeable = true): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = this.stopped ? undefined : () => (wakeable || this.stopped ? done() : undefined);
      if (this.stopped) done();
    });
  }

  /** LISTEN on a dedicated connection; reconnects in the background. Polling covers any gap. */
  private async listen(): Promise<void> {
    while (!this.stopped) {
      const client = new Client({ connectionString: this.options.primaryUrl, connectionTimeoutMillis: 2_000, application_name: `${this.options.service}-relay` });
      try {
        await client.connect();
        this.listener = client;
        client.on('notification', () => {
          this.notified = true;
          this.wake?.();
        });
        await client.query(`listen ${OUTBOX_CHANNEL}`);
        await new Promise<void>((resolve) => {
          client.on('error', () => resolve());
          client.on('end', () => resolve());
        });
      } catch {
        // The primary is down; the polling loop handles backoff, retry LISTEN shortly.
      }
      await client.end().catch(() => undefined);
      if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}
