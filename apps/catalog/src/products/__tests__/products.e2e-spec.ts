import { loadConfig } from '@saas/config';
import { migrate } from '@saas/platform';
import {
  bootService,
  createTestDatabase,
  eventually,
  infra,
  metricValue,
  serviceEnv,
  sql,
  startTestIssuer,
  uniqueName,
  type RunningService,
  type TestDatabase,
  type TestIssuer,
} from '@saas/testing';
import { AppModule, catalogSpec } from '../../app.module';
import { seedCatalog } from '../../seed/seed';
import { catalogEnv } from '../../config';
import type { ProductDto, ProductPageDto } from '../dtos/products.dto';

describe('catalog: products with Redis cache-aside, event-driven invalidation, keyset pages', () => {
  let db: TestDatabase;
  let issuer: TestIssuer;
  let admin: string;
  let user: string;
  const instances: RunningService[] = [];
  let env: Record<string, string>;

  const boot = async (name: string) => {
    const service = await bootService('catalog', AppModule.register(loadConfig(catalogEnv, env)), { instanceId: name });
    instances.push(service);
    return service;
  };
  const request = (service: RunningService, method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}) =>
    fetch(`${service.url}/catalog${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const create = async (service: RunningService, body: Record<string, unknown>) => {
    const response = await request(service, 'POST', '/products', body, admin);
    expect(response.status).toBe(201);
    return (await response.json()) as ProductDto;
  };
  const hits = (service: RunningService, cache: string) => metricValue(service.url, 'cache_requests_total', `cache="${cache}",result="hit"`);

  beforeAll(async () => {
    db = await createTestDatabase('catalog');
    issuer = await startTestIssuer();
    env = serviceEnv(db, { ...issuer.env, KAFKA_TOPIC_PREFIX: `${uniqueName('cat')}.`, CACHE_TTL_SECONDS: '300' });
    await migrate(catalogSpec, loadConfig(catalogEnv, env));
    admin = await issuer.token({ roles: ['user', 'admin'] });
    user = await issuer.token({ roles: ['user'] });
    await boot('catalog-a');
    await boot('catalog-b');
  });

  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await issuer?.close();
    await db?.drop();
  });

  it('lets admins write and refuses others (401 without a token, 403 without the role)', async () => {
    const [a] = instances;
    expect((await request(a, 'POST', '/products', { name: 'x', priceCents: 1 })).status).toBe(401);
    const forbidden = await request(a, 'POST', '/products', { name: 'x', priceCents: 1 }, user);
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('content-type')).toContain('application/problem+json');
    const product = await create(a, { name: 'Kettle', priceCents: 2500 });
    expect(product).toMatchObject({ name: 'Kettle', priceCents: 2500, images: [] });
    const [row] = await sql<{ type: string }>(db.primaryUrl, 'select type from outbox where key = $1', [product.id]);
    expect(row.type).toBe('catalog.product.created.v1');
  });

  it('serves the second read of a product from the cache (x-cache: miss, then hit), with ETag and 304', async () => {
    const [a] = instances;
    const product = await create(a, { name: 'Lamp', priceCents: 1500 });
    const before = await hits(a, 'product');
    const first = await request(a, 'GET', `/products/${product.id}`);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('miss');
    const second = await request(a, 'GET', `/products/${product.id}`);
    expect(await second.json()).toMatchObject({ id: product.id, name: 'Lamp' });
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(await hits(a, 'product')).toBe(before + 1);
    const etag = second.headers.get('etag')!;
    expect(second.headers.get('cache-control')).toBe('public, max-age=30');
    const conditional = await request(a, 'GET', `/products/${product.id}`, undefined, undefined, { 'if-none-match': etag });
    expect(conditional.status).toBe(304);
  });

  it('invalidates through events: after an update on A, B serves the fresh product and list page', async () => {
    const [a, b] = instances;
    const product = await create(a, { name: 'Mug', priceCents: 900 });
    // Warm B's view: the item and the first list page are cached.
    await request(b, 'GET', `/products/${product.id}`);
    await eventually(async () => {
      const page = (await (await request(b, 'GET', '/products?limit=5')).json()) as ProductPageDto;
      return page.items.some((item) => item.id === product.id);
    });
    expect((await request(a, 'PATCH', `/products/${product.id}`, { name: 'Big Mug' }, admin)).status).toBe(200);
    await eventually(async () => ((await (await request(b, 'GET', `/products/${product.id}`)).json()) as ProductDto).name === 'Big Mug', 20_000);
    await eventually(async () => {
      const page = (await (await request(b, 'GET', '/products?limit=5')).json()) as ProductPageDto;
      return page.items.find((item) => item.id === product.id)?.name === 'Big Mug';
    }, 20_000);
  });

  it('a seed (bulk write) drops every cached list page through the outbox, long before the TTL', async () => {
    const [a, b] = instances;
    const path = '/products?limit=5&q=everyday';
    const before = (await (await request(b, 'GET', path)).json()) as ProductPageDto;
    expect(before.items).toEqual([]);
    const cachedHits = await hits(b, 'product-list');
    await request(b, 'GET', path);
    expect(await hits(b, 'product-list')).toBeGreaterThan(cachedHits); // the empty page is cached (TTL 300 s)
    expect(await seedCatalog(loadConfig(catalogEnv, env), ['--products', '30'])).toMatch(/^seeded 30 products/);
    const after = await eventually(async () => {
      const page = (await (await request(b, 'GET', path)).json()) as ProductPageDto;
      return page.items.length === 5 ? page : undefined;
    }, 20_000, 200);
    expect(after.items.every((item) => / #\d+$/.test(item.name))).toBe(true);
    expect(((await (await request(a, 'GET', path)).json()) as ProductPageDto).items).toHaveLength(5);
    expect(await seedCatalog(loadConfig(catalogEnv, env), ['--products', '0']).catch((error: Error) => error.message)).toContain('--products must be');
  });

  it('lets the writer read its own write at once via the consistency token, before the event is consumed', async () => {
    const [a, b] = instances;
    const product = await create(a, { name: 'Chair', priceCents: 5000 });
    await request(b, 'GET', `/products/${product.id}`); // cached on B
    const patch = await request(a, 'PATCH', `/products/${product.id}`, { priceCents: 4000 }, admin);
    const token = patch.headers.get('x-consistency-token')!;
    const read = await request(b, 'GET', `/products/${product.id}`, undefined, undefined, { 'x-consistency-token': token });
    expect(((await read.json()) as ProductDto).priceCents).toBe(4000);
  });

  it('makes exactly one database query for 200 concurrent requests on a cold key', async () => {
    const [a] = instances;
    const product = await create(a, { name: 'Tent', priceCents: 12000 });
    const readsBefore = await metricValue(a.url, 'db_reads_total');
    const responses = await Promise.all(Array.from({ length: 200 }, () => request(a, 'GET', `/products/${product.id}`)));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect((await metricValue(a.url, 'db_reads_total')) - readsBefore).toBe(1);
  });

  it('caches misses too (negative caching): unknown ids cost one query', async () => {
    const [a] = instances;
    const ghost = '00000000-0000-4000-8000-000000000000';
    const readsBefore = await metricValue(a.url, 'db_reads_total');
    expect((await request(a, 'GET', `/products/${ghost}`)).status).toBe(404);
    expect((await request(a, 'GET', `/products/${ghost}`)).status).toBe(404);
    expect((await metricValue(a.url, 'db_reads_total')) - readsBefore).toBe(1);
  });

  it('pages with keyset cursors, filters by category and price, and searches', async () => {
    const [a] = instances;
    const category = (await (await request(a, 'POST', '/categories', { name: 'Paging', slug: uniqueName('paging').replace(/_/g, '-') }, admin)).json()) as { id: string };
    for (let i = 0; i < 5; i++) await create(a, { name: `Pager widget ${i}`, priceCents: 100 * (i + 1), categoryId: category.id });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query = `/products?limit=2&categoryId=${category.id}${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await (await request(a, 'GET', query)).json()) as ProductPageDto;
      seen.push(...page.items.map((item) => item.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['Pager widget 4', 'Pager widget 3', 'Pager widget 2', 'Pager widget 1', 'Pager widget 0']);
    const cheap = (await (await request(a, 'GET', `/products?categoryId=${category.id}&maxPriceCents=250`)).json()) as ProductPageDto;
    expect(cheap.items.map((item) => item.priceCents).sort()).toEqual([100, 200]);
    const found = (await (await request(a, 'GET', '/products?q=pager%20widget&limit=100')).json()) as ProductPageDto;
    expect(found.items.length).toBe(5);
  });

  it('sorts by price both ways across keyset pages (ties by id), and refuses a cursor from another order', async () => {
    const [a] = instances;
    const category = (await (await request(a, 'POST', '/categories', { name: 'Sorting', slug: uniqueName('sorting').replace(/_/g, '-') }, admin)).json()) as { id: string };
    const prices = [500, 100, 300, 300, 200];
    for (const [i, priceCents] of prices.entries()) await create(a, { name: `Sorted widget ${i}`, priceCents, categoryId: category.id });
    const walk = async (sort: string) => {
      const seen: ProductDto[] = [];
      let cursor: string | null = null;
      do {
        const response = await request(a, 'GET', `/products?limit=2&sort=${sort}&categoryId=${category.id}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.status).toBe(200);
        const page = (await response.json()) as ProductPageDto;
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    };
    const ascending = await walk('price_asc');
    expect(ascending.map((item) => item.priceCents)).toEqual([100, 200, 300, 300, 500]);
    const tied = ascending.filter((item) => item.priceCents === 300).map((item) => item.id);
    expect(tied).toEqual([...tied].sort());
    const descending = await walk('price_desc');
    expect(descending.map((item) => item.id)).toEqual(ascending.map((item) => item.id).reverse());

    const newestPage = (await (await request(a, 'GET', `/products?limit=2&categoryId=${category.id}`)).json()) as ProductPageDto;
    const priceAscPage = (await (await request(a, 'GET', `/products?limit=2&sort=price_asc&categoryId=${category.id}`)).json()) as ProductPageDto;
    for (const [sort, cursor] of [['price_asc', newestPage.nextCursor], ['newest', priceAscPage.nextCursor], ['price_desc', priceAscPage.nextCursor]]) {
      const response = await request(a, 'GET', `/products?limit=2&sort=${sort}&cursor=${cursor}`);
      expect({ sort, status: response.status }).toEqual({ sort, status: 400 });
      expect(await response.json()).toMatchObject({ code: 'catalog.malformed_cursor' });
    }
  });

  it.each([
    ['negative price', 'POST', '/products', { name: 'x', priceCents: -1 }],
    ['unknown field', 'POST', '/products', { name: 'x', priceCents: 1, discount: 50 }],
    ['huge page size', 'GET', '/products?limit=1000', undefined],
    ['unknown sort order', 'GET', '/products?sort=cheapest', undefined],
    ['malformed cursor', 'GET', '/products?cursor=bm90LWEtY3Vyc29y', undefined],
    ['cursor with bad characters', 'GET', '/products?cursor=%27%3B%20drop', undefined],
    ['SQL in search text', 'GET', `/products?q=${encodeURIComponent("'; drop table products; --")}`, undefined],
    ['non-uuid id (path traversal)', 'GET', '/products/..%2F..%2Fetc%2Fpasswd', undefined],
  ])('rejects %s with 400 problem+json', async (_label, method, path, body) => {
    const response = await request(instances[0], method, path, body, admin);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const [{ n }] = await sql<{ n: number }>(db.primaryUrl, 'select count(*)::int as n from products');
    expect(n).toBeGreaterThan(0);
  });

  it('answers product detail without live media URLs, fast, when media is down; then the breaker fails fast', async () => {
    const [a] = instances;
    const product = await create(a, { name: 'Camera', priceCents: 30000, imageAssetIds: ['11111111-1111-4111-8111-111111111111'] });
    const started = Date.now();
    const first = (await (await request(a, 'GET', `/products/${product.id}`)).json()) as { media: { live: boolean; reason: string } };
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(first.media).toMatchObject({ live: false, reason: 'unavailable' });
    let last = first;
    for (let i = 0; i < 8 && last.media.reason !== 'circuit-open'; i++) {
      last = (await (await request(a, 'GET', `/products/${product.id}`)).json()) as typeof first;
    }
    expect(last.media).toMatchObject({ live: false, reason: 'circuit-open' });
    const quick = Date.now();
    expect((await request(a, 'GET', `/products/${product.id}`)).status).toBe(200);
    expect(Date.now() - quick).toBeLessThan(500);
    expect(await metricValue(a.url, 'http_client_breaker_state', 'target="media"')).toBe(2);
  });

  it('verifies tokens while the issuer is down: cached keys, and a new replica uses the last good JWKS from Redis', async () => {
    await issuer.close();
    const [a] = instances;
    expect((await request(a, 'POST', '/products', { name: 'During outage', priceCents: 1 }, admin)).status).toBe(201);
    const late = await boot('catalog-late');
    expect((await request(late, 'POST', '/products', { name: 'New replica', priceCents: 1 }, admin)).status).toBe(201);
  });
  it('keeps serving reads and writes with Redis stopped, and hits resume when it is back', async () => {
    const [a] = instances;
    const product = await create(a, { name: 'Drill', priceCents: 7000 });
    infra.control('stop', 'redis');
    try {
      for (let i = 0; i < 10; i++) expect((await request(a, 'GET', `/products/${product.id}`)).status).toBe(200);
      expect((await request(a, 'GET', '/products?limit=3')).status).toBe(200);
      expect((await request(a, 'PATCH', `/products/${product.id}`, { priceCents: 7100 }, admin)).status).toBe(200);
    } finally {
      infra.control('start', 'redis');
    }
    const before = await hits(a, 'product');
    await eventually(async () => {
      await request(a, 'GET', `/products/${product.id}`);
      return (await hits(a, 'product')) > before + 1;
    }, 20_000, 500);
  });

});
