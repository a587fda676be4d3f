import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAssets1764500000000 implements MigrationInterface {
  name = 'CreateAssets1764500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table assets (
        id uuid primary key,
        owner_id uuid not null,
        status varchar(16) not null check (status in ('processing', 'ready', 'failed')),
        content_type varchar(100) not null,
        bytes bigint not null,
        sha256 char(64) not null,
        original_filename varchar(255),
        width integer,
        height integer,
        failure_reason varchar(500),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    await runner.query('create index assets_owner_idx on assets (owner_id, created_at desc)');
    await runner.query(`
      create table asset_variants (
        asset_id uuid not null references assets (id) on delete cascade,
        name varchar(40) not null,
        width integer not null,
        height integer not null,
        content_type varchar(100) not null,
        bytes integer not null,
        sha256 char(64) not null,
        created_at timestamptz not null default now(),
        primary key (asset_id, name)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop table asset_variants');
    await runner.query('drop table assets');
  }
}
