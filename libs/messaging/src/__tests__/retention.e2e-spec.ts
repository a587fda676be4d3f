import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { eventually, sql } from '@saas/testing';
import type { KafkaConnection } from '../index';
import { Outbox, OutboxRelay } from '../index';
import { kafkaConnection, newKey, serviceDatabase, uniquePrefix, writeProductEvent } from './messaging-fixtures';

type Db = Awaited<ReturnType<typeof serviceDatabase>>;

const HOUR = 3600;

describe('outbox and inbox retention: the publishing relay purges expired rows', () => {
  let db: Db;
  let kafka: KafkaConnection;
  const prefix = uniquePrefix();

  const relayWith = (options: { outboxRetentionSeconds?: number; inboxRetentionSeconds?: number; purgeEveryMs?: number } = {}) =>
    new OutboxRelay(db.db, kafka, { service: 'test', primaryUrl: db.test.primaryUrl, pollMs: 200, ...options });
  const count = async (query: string) => (await sql<{ n: number }>(db.test.primaryUrl, query))[0].n;
  /** An outbox row as the relay would leave it: published `publishedAgo` seconds ago, or pending (null). */
  const outboxRow = (publishedAgo: number | null, createdAgo = 0) =>
    sql(
      db.test.primaryUrl,
      `insert into outbox (id, topic, key, type, message, created_at, published_at)
       values ($1, 'retention.test', 'k', 'test', '{}'::jsonb, now() - make_interval(secs => $2),
               case when $3::int is null then null else now() - make_interval(secs => $3::int) end)`,
      [randomUUID(), createdAgo, publishedAgo],
    );
  const inboxRows = (n: number, processedAgo: number) =>
    sql(
      db.test.primaryUrl,
      `insert into inbox (consumer, event_id, event_type, processed_at)
       select 'group-a', gen_random_uuid(), 'test', now() - make_interval(secs => $2) from generate_series(1, $1)`,
      [n, processedAgo],
    );

  beforeAll(async () => {
    db = await serviceDatabase('retention');
    kafka = kafkaConnection(prefix);
    await kafka.connect();
  });

  afterAll(async () => {
    await kafka?.onApplicationShutdown();
    await db?.close();
  });

  beforeEach(async () => {
    await sql(db.test.primaryUrl, 'truncate outbox, inbox');
  });

  it('deletes published outbox rows and inbox rows past retention; keeps pending rows whatever their age, and younger rows', async () => {
    await outboxRow(2 * HOUR); // published long ago: expired
    await outboxRow(10 * 60); // published 10 minutes ago: kept
    await outboxRow(null, 48 * HOUR); // never published (Kafka down for two days): kept, it is not delivered yet
    // More expired inbox rows than one statement deletes: the purge goes on in batches.
    await inboxRows(12_000, 8 * 24 * HOUR);
    await inboxRows(20_000, 60);

    const deleted = await relayWith({ outboxRetentionSeconds: HOUR, inboxRetentionSeconds: 7 * 24 * HOUR }).purgeExpired();

    expect(deleted).toEqual({ outbox: 1, inbox: 12_000 });
    const outbox = await sql<{ published: boolean; created_days: number }>(
      db.test.primaryUrl,
      'select published_at is not null as published, extract(day from now() - created_at)::int as created_days from outbox order by seq',
    );
    expect(outbox).toEqual([
      { published: true, created_days: 0 },
      { published: false, created_days: 2 },
    ]);
    expect(await count('select count(*)::int as n from inbox')).toBe(20_000);
    // A week of young rows is not scanned to find the few expired ones: the purge's query uses the index.
    await sql(db.test.primaryUrl, 'analyze inbox');
    const plan = await sql<{ 'QUERY PLAN': string }>(
      db.test.primaryUrl,
      `explain select ctid from inbox where processed_at < now() - interval '1 hour' limit 10`,
    );
    expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/inbox_processed_at/);
  });

  it('only the replica holding the relay lock purges', async () => {
    await outboxRow(2 * HOUR);
    await inboxRows(5, 8 * 24 * HOUR);
    // Its own first purge (due at start) keeps these rows: its retention is longer than their age.
    const publisher = relayWith({ outboxRetentionSeconds: 30 * 24 * HOUR, inboxRetentionSeconds: 30 * 24 * HOUR });
    publisher.start();
    try {
      await eventually(async () => publisher.publishing, 10_000);
      const standby = relayWith({ outboxRetentionSeconds: 0, inboxRetentionSeconds: HOUR });
      expect(await standby.purgeExpired()).toEqual({ outbox: 0, inbox: 0 });
      expect(await count('select count(*)::int as n from outbox')).toBe(1);
      expect(await count('select count(*)::int as n from inbox')).toBe(5);
    } finally {
      await publisher.stop();
    }
  });

  it('while running: published events leave the outbox once past retention, and a failing purge never stops publishing', async () => {
    const outbox = new Outbox('/catalog', prefix);
    const key = newKey();
    const publisher = relayWith({ outboxRetentionSeconds: 0, inboxRetentionSeconds: 7 * 24 * HOUR, purgeEveryMs: 200 });
    publisher.start();
    try {
      for (let seq = 1; seq <= 5; seq++) await writeProductEvent(db.db, outbox, key, seq);
      await eventually(async () => (await count('select count(*)::int as n from outbox')) === 0, 20_000, 100);

      // The purge fails (its table is gone for a while): it says so, publishing goes on, and the next purge
      // after the table is back does the work.
      const warnings = jest.spyOn(Logger.prototype, 'warn');
      await sql(db.test.primaryUrl, 'alter table inbox rename to inbox_away');
      for (let seq = 6; seq <= 10; seq++) await writeProductEvent(db.db, outbox, key, seq);
      await eventually(async () => warnings.mock.calls.some(([message]) => /cannot purge expired outbox\/inbox rows/.test(String(message))), 10_000, 100);
      await eventually(async () => (await count('select count(*)::int as n from outbox where published_at is null')) === 0, 20_000, 100);
      expect(publisher.publishing).toBe(true);
      await sql(db.test.primaryUrl, 'alter table inbox_away rename to inbox');
      await inboxRows(4, 8 * 24 * HOUR);
      await eventually(async () => (await count('select count(*)::int as n from inbox')) === 0, 20_000, 100);
      warnings.mockRestore();
    } finally {
      await publisher.stop();
    }
  });
});
