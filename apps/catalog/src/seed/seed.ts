import { randomUUID } from 'node:crypto';
import { createDatabase } from '@saas/data';
import { Outbox } from '@saas/messaging';
import type { CatalogConfig } from '../app.module';
import { catalogSpec } from '../app.module';

const ADJECTIVES = ['red', 'compact', 'wireless', 'organic', 'vintage', 'smart', 'heavy-duty', 'portable', 'ceramic', 'bamboo', 'steel', 'waterproof'];
const NOUNS = ['kettle', 'lamp', 'backpack', 'headphones', 'chair', 'notebook', 'mug', 'drill', 'blender', 'jacket', 'speaker', 'tent', 'watch', 'keyboard'];
const CATEGORIES = ['kitchen', 'lighting', 'outdoor', 'audio', 'furniture', 'stationery', 'tools', 'apparel', 'electronics', 'garden', 'toys', 'sports'];

/**
 * `node main.js seed [--products N]` (or `nx run catalog:seed`): a realistic catalog in one
 * set-based INSERT per table, generated inside Postgres (100k products in a few seconds). Like any
 * write, it announces itself through the outbox in the same transaction (`catalog.products.imported.v1`),
 * so the running replicas drop their cached list pages as soon as the relay publishes it.
 */
export async function seedCatalog(config: CatalogConfig, args: string[]): Promise<string> {
  const flag = args.indexOf('--products');
  const count = flag >= 0 ? Number(args[flag + 1]) : 100_000;
  if (!Number.isInteger(count) || count < 1 || count > 5_000_000) throw new Error('--products must be an integer from 1 to 5000000');
  const database = createDatabase({
    service: 'catalog-seed',
    primaryUrl: config.DATABASE_PRIMARY_URL,
    replicaUrls: [],
    entities: catalogSpec.entities,
    poolSize: 2,
    connectTimeoutMs: 5_000,
    statementTimeoutMs: 600_000,
    replicaMaxLagBytes: 0,
  });
  await database.primary.dataSource.initialize();
  const started = Date.now();
  try {
    await database.primary.dataSource.transaction(async (em) => {
      await em.query(
        `insert into categories (name, slug) select initcap(c), c from unnest($1::text[]) c on conflict (slug) do nothing`,
        [CATEGORIES],
      );
      await em.query(
        `insert into products (name, description, price_cents, category_id, created_at, updated_at)
         select initcap(a) || ' ' || n || ' #' || g,
                'A ' || a || ' ' || n || ' for everyday use. Model ' || g || '.',
                (100 + floor(random() * 99900))::int,
                (select id from categories order by random() + g * 0 limit 1),
                now() - (random() * interval '365 days'),
                now()
           from generate_series(1, $3::int) g,
                lateral (select ($1::text[])[1 + floor(random() * array_length($1::text[], 1))::int] as a,
                                ($2::text[])[1 + floor(random() * array_length($2::text[], 1))::int] as n, g as k) words`,
        [ADJECTIVES, NOUNS, count],
      );
      const batchId = randomUUID();
      await new Outbox('/catalog', config.KAFKA_TOPIC_PREFIX).publish(em, 'catalog.products.imported.v1', batchId, { batchId, count });
    });
    await database.primary.dataSource.query('analyze products');
  } finally {
    await database.primary.dataSource.destroy();
  }
  return `seeded ${count} products in ${((Date.now() - started) / 1000).toFixed(1)} s`;
}
