import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateProfiles1764400000000 implements MigrationInterface {
  name = 'CreateProfiles1764400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table profiles (
        user_id uuid primary key,
        display_name varchar(80) not null,
        bio varchar(500),
        avatar_asset_id uuid,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        version integer not null default 1
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop table profiles');
  }
}
