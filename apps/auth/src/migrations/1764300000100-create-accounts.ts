import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAccounts1764300000100 implements MigrationInterface {
  name = 'CreateAccounts1764300000100';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table users (
        id uuid primary key default gen_random_uuid(),
        email text not null unique,
        password_hash text not null,
        display_name text not null,
        roles text[] not null default '{user}',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    await runner.query(`
      create table refresh_families (
        id uuid primary key default gen_random_uuid(),
        user_id uuid not null references users(id) on delete cascade,
        revoked_at timestamptz,
        revoked_reason text,
        created_at timestamptz not null default now()
      )`);
    await runner.query('create index refresh_families_user on refresh_families (user_id)');
    await runner.query(`
      create table refresh_tokens (
        id uuid primary key default gen_random_uuid(),
        family_id uuid not null references refresh_families(id) on delete cascade,
        token_hash text not null unique,
        expires_at timestamptz not null,
        used_at timestamptz,
        created_at timestamptz not null default now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop table refresh_tokens');
    await runner.query('drop table refresh_families');
    await runner.query('drop table users');
  }
}
