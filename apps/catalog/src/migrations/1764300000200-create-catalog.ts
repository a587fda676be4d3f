import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCatalog1764300000200 implements MigrationInterface {
  name = 'CreateCatalog1764300000200';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table categories (
        id uuid primary key default gen_random_uuid(),
        name text not null,
        slug text not null unique
      )`);
    await runner.query(`
      create table products (
        id uuid primary key default gen_random_uuid(),
        name text not null,
        description text not null default '',
        price_cents int not null check (price_cents >= 0),
        category_id uuid references categories(id) on delete set null,
        image_asset_ids uuid[] not null default '{}',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        search tsvector generated always as (to_tsvector('simple', name || ' ' || description)) stored
      )`);
    // Keyset pagination walks (created_at, id) newest first; filters narrow by category and price.
    await runner.query('create index products_keyset on products (created_at desc, id desc)');
    await runner.query('create index products_category_keyset on products (category_id, created_at desc, id desc)');
    await runner.query('create index products_price on products (price_cents)');
    await runner.query('create index products_search on products using gin (search)');
    await runner.query(`
      create table product_images (
        asset_id uuid primary key,
        variants jsonb not null
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop table product_images');
    await runner.query('drop table products');
    await runner.query('drop table categories');
  }
}
