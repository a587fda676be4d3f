/**
 * Benchmark: catalog list page and product detail, cache on vs cache off, against a ceiling of a bare
 * Node http server answering the same cached JSON from Redis, on >=100k seeded products.
 *   npm run bench -- catalog      (BENCH_PRODUCTS, BENCH_SECONDS, BENCH_CONNECTIONS)
 * The services run as separate processes from the built bundle (dist/apps/catalog), like production.
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import Redis from 'ioredis';
import { loadConfig } from '@saas/config';
import { migrate } from '@saas/platform';
import { createTestDatabase, eventually, freePort, repoRoot, serviceEnv, signingKeys, startTestIssuer } from '@saas/testing';
import { catalogSpec } from '../../apps/catalog/src/app.module';
import { catalogEnv } from '../../apps/catalog/src/config';
import { seedCatalog } from '../../apps/catalog/src/seed/seed';
import { httpLoad, printHttpTable, runBenchmark, startProcess } from './measure';

const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

const measure = (label: string, url: string) => httpLoad(label, { url, connections: CONNECTIONS, duration: SECONDS });

async function main() {
  const db = await createTestDatabase('bench_catalog');
  const issuer = await startTestIssuer();
  const env = serviceEnv(db, { ...issuer.env, LOG_LEVEL: 'error', JWT_SIGNING_KEYS: signingKeys('bench').json });
  const config = loadConfig(catalogEnv, env);
  await migrate(catalogSpec, config);
  console.log(await seedCatalog(config, ['--products', String(PRODUCTS)]));
  const children: ChildProcess[] = [];
  try {
    const cached = await freePort();
    const uncached = await freePort();
    children.push(await startProcess([resolve(repoRoot, 'dist/apps/catalog/main.js')], { ...env, CACHE_ENABLED: 'true', INSTANCE_ID: 'bench-cached' }, cached));
    children.push(await startProcess([resolve(repoRoot, 'dist/apps/catalog/main.js')], { ...env, CACHE_ENABLED: 'false', INSTANCE_ID: 'bench-uncached' }, uncached));
    await eventually(async () => (await fetch(`http://127.0.0.1:${cached}/health/ready`)).ok, 60_000, 500);
    await eventually(async () => (await fetch(`http://127.0.0.1:${uncached}/health/ready`)).ok, 60_000, 500);

    const page = (await (await fetch(`http://127.0.0.1:${cached}/catalog/products?limit=20`)).json()) as { items: { id: string }[] };
    const id = page.items[5].id;
    const listPath = '/catalog/products?limit=20';
    const detailPath = `/catalog/products/${id}`;
    await fetch(`http://127.0.0.1:${cached}${detailPath}`); // warm the cache

    const redis = new Redis(env.REDIS_URL);
    const [detailKey] = await redis.keys(`catalog:product:${id}`);
    const bare = await freePort();
    children.push(await startProcess([resolve(repoRoot, 'tools/bench/bare-redis-server.mjs')], { REDIS_URL: env.REDIS_URL, BENCH_KEY: detailKey }, bare));
    redis.disconnect();

    const rows = [
      await measure('list page, cache off (replica query)', `http://127.0.0.1:${uncached}${listPath}`),
      await measure('list page, cache on', `http://127.0.0.1:${cached}${listPath}`),
      await measure('detail, cache off (replica query)', `http://127.0.0.1:${uncached}${detailPath}`),
      await measure('detail, cache on', `http://127.0.0.1:${cached}${detailPath}`),
      await measure('ceiling: bare node http + ioredis GET', `http://127.0.0.1:${bare}/`),
    ];
    printHttpTable(`${PRODUCTS} products, ${CONNECTIONS} connections, ${SECONDS}s per case, autocannon in the same machine (2 cores)`, rows);
    console.log(`\nlist: cache on / off = ${(rows[1].rps / rows[0].rps).toFixed(2)}x throughput; detail: ${(rows[3].rps / rows[2].rps).toFixed(2)}x; cached detail reaches ${((rows[3].rps / rows[4].rps) * 100).toFixed(0)}% of the bare ceiling`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await issuer.close();
    await new Promise((r) => setTimeout(r, 1_000));
    await db.drop();
  }
}

runBenchmark(main);
