import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox (events written in the same transaction as the state change) and the inbox (ids of
 * events a consumer group has applied, written in the same transaction as the effect). Every
 * service lists this migration among its own.
 */
export class CreateOutboxAndInbox1764300000000 implements MigrationInterface {
  name = 'CreateOutboxAndInbox1764300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table outbox (
        seq bigserial primary key,
        id uuid not null unique,
        topic text not null,
        key text not null,
        type text not null,
        message jsonb not null,
        created_at timestamptz not null default now(),
        published_at timestamptz
      )`);
    await runner.query('create index outbox_pending on outbox (seq) where published_at is null');
    await runner.query(`
      create table inbox (
        consumer text not null,
        event_id uuid not null,
        event_type text not null,
        processed_at timestamptz not null default now(),
        primary key (consumer, event_id)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop table inbox');
    await runner.query('drop table outbox');
  }
}

/**
 * Indexes the relay's housekeeping needs to find expired rows without scanning the tables: published
 * outbox rows by publication time (partial: pending rows are never purged), inbox rows by processing time.
 */
export class OutboxInboxRetention1796600000000 implements MigrationInterface {
  name = 'OutboxInboxRetention1796600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('create index outbox_published_at on outbox (published_at) where published_at is not null');
    await runner.query('create index inbox_processed_at on inbox (processed_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop index inbox_processed_at');
    await runner.query('drop index outbox_published_at');
  }
}

/** Every migration of the outbox and inbox, in order: each service lists these before its own. */
export const MESSAGING_MIGRATIONS = [CreateOutboxAndInbox1764300000000, OutboxInboxRetention1796600000000];
