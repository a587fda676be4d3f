/**
 * Benchmark: the request pipeline against its ceilings, in one run (issue 16).
 *   npm run bench -- catalog      (BENCH_PRODUCTS, BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_ROUNDS)
 * Rows: a bare node:http + ioredis server (the ceiling), a minimal NestJS + Fastify app (the framework),
 * the catalog service's /health/live, cached and uncached detail and list, a heavy list (full-text search
 * + category + price range, a deep page) with the cache off and on, and auth's /auth/me. Each case is
 * warmed up, then measured BENCH_ROUNDS times round-robin (median reported, so drift hits every case
 * alike). Then each service alone: cold start to ready and idle RSS.
 * The services run as separate processes from the built bundles (dist/apps), like production.
 * BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles every server (read with profile-top.mjs);
 * BENCH_CASES=<regex> runs only the matching cases (one path in a profile); BENCH_CATALOG_DIST=<dir> runs
 * another build of catalog (before/after a change).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Redis from 'ioredis';
import { loadConfig } from '@saas/config';
import { migrate } from '@saas/platform';
import { createTestDatabase, eventually, freePort, repoRoot, SERVICES, serviceEnv, signingKeys, startStack, startTestIssuer } from '@saas/testing';
import { catalogSpec } from '../../apps/catalog/src/app.module';
import { catalogEnv } from '../../apps/catalog/src/config';
import { seedCatalog } from '../../apps/catalog/src/seed/seed';
import { httpLoad, runBenchmark, startProcess } from './measure';

const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Only the cases whose label matches (e.g. `detail, cache on` to profile one path); the ratios need all. */
const ONLY = process.env.BENCH_CASES ? new RegExp(process.env.BENCH_CASES) : undefined;
/** Another build of catalog for the catalog rows (e.g. an older commit's dist/apps/catalog), to measure a change. */
const CATALOG_DIST = process.env.BENCH_CATALOG_DIST || undefined;
/** BENCH_COLD_STARTS=false skips the cold-start and memory table. */
const COLD_STARTS = process.env.BENCH_COLD_STARTS !== 'false';

interface Case {
  label: string;
  url: string;
  headers?: Record<string, string>;
}
type Row = Awaited<ReturnType<typeof httpLoad>>;

const median = (rows: Row[]): Row => [...rows].sort((a, b) => a.rps - b.rps)[Math.floor(rows.length / 2)];

/** Warm-up once, then ROUNDS rounds over every case; the median run of each case. */
async function measureAll(cases: Case[]): Promise<Row[]> {
  for (const item of cases) await httpLoad(item.label, { url: item.url, headers: item.headers, connections: CONNECTIONS, duration: 1 });
  const runs = cases.map(() => [] as Row[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, item] of cases.entries()) runs[i].push(await httpLoad(item.label, { url: item.url, headers: item.headers, connections: CONNECTIONS, duration: SECONDS }));
  }
  return runs.map(median);
}

/** An auth service of its own and a signed-in user: GET /auth/me verifies, checks revocation and reads. */
async function authMe(): Promise<{ case: Case; stop: () => Promise<void> }> {
  const stack = await startStack({ name: 'bench_me', services: ['auth'], env: { LOG_LEVEL: 'info' } });
  const registered = await fetch(`${stack.urls.auth}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password: 'correct horse battery', displayName: 'Bench' }),
  });
  const { accessToken } = (await registered.json()) as { accessToken: string };
  return {
    case: { label: 'auth: GET /auth/me (JWT verify + revocation check + read)', url: `${stack.urls.auth}/auth/me`, headers: { authorization: `Bearer ${accessToken}` } },
    stop: stack.stop,
  };
}

const rssMbOf = (pid: number | undefined) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
/** How long a started service stays idle before its settled RSS is read: V8's memory reducer shrinks the heap grown by start-up after ~10-20 s idle. */
const SETTLE_MS = Number(process.env.BENCH_SETTLE_SECONDS ?? 45) * 1000;

/** Each service alone on the machine: spawn to first ready answer, and resident memory 3 s after and settled. */
async function coldStarts(): Promise<{ service: string; readyMs: number; rssMb: number; settledRssMb: number }[]> {
  const results = [];
  for (const service of SERVICES) {
    const stack = await startStack({ name: `bench_cold_${service}`, services: [service] });
    try {
      await new Promise((r) => setTimeout(r, 3_000));
      const rssMb = rssMbOf(stack.pid(service));
      await new Promise((r) => setTimeout(r, SETTLE_MS - 3_000));
      results.push({ service, readyMs: stack.readyMs[service] ?? NaN, rssMb, settledRssMb: rssMbOf(stack.pid(service)) });
    } finally {
      await stack.stop();
    }
  }
  return results;
}

async function main() {
  // BENCH_CASES matching "cold starts" (e.g. BENCH_CASES=cold) runs only the cold-start and memory table.
  if (ONLY?.test('cold starts')) return printColdStarts();
  const db = await createTestDatabase('bench_catalog');
  const issuer = await startTestIssuer();
  const env = serviceEnv(db, { ...issuer.env, LOG_LEVEL: 'info', JWT_SIGNING_KEYS: signingKeys('bench').json });
  const config = loadConfig(catalogEnv, env);
  await migrate(catalogSpec, config);
  console.log(await seedCatalog(config, ['--products', String(PRODUCTS)]));
  const children: ChildProcess[] = [];
  let me: Awaited<ReturnType<typeof authMe>> | undefined;
  try {
    const cached = await freePort();
    const uncached = await freePort();
    const catalog = resolve(CATALOG_DIST ?? resolve(repoRoot, 'dist/apps/catalog'), 'main.js');
    children.push(await startProcess([catalog], { ...env, CACHE_ENABLED: 'true', INSTANCE_ID: 'bench-cached' }, cached));
    children.push(await startProcess([catalog], { ...env, CACHE_ENABLED: 'false', INSTANCE_ID: 'bench-uncached' }, uncached));
    await eventually(async () => (await fetch(`http://127.0.0.1:${cached}/health/ready`)).ok, 60_000, 500);
    await eventually(async () => (await fetch(`http://127.0.0.1:${uncached}/health/ready`)).ok, 60_000, 500);

    const on = `http://127.0.0.1:${cached}`;
    const off = `http://127.0.0.1:${uncached}`;
    const page = (await (await fetch(`${on}/catalog/products?limit=20`)).json()) as { items: { id: string }[] };
    const id = page.items[5].id;
    const [{ id: categoryId }] = (await (await fetch(`${on}/catalog/categories`)).json()) as { id: string }[];
    // The heavy list: full-text search + category + price range, sorted by price, five pages deep.
    let heavy = `/catalog/products?limit=20&q=everyday&categoryId=${categoryId}&minPriceCents=1000&maxPriceCents=60000&sort=price_asc`;
    for (let depth = 0; depth < 5; depth++) {
      const next = ((await (await fetch(`${off}${heavy}`)).json()) as { nextCursor: string | null }).nextCursor;
      if (!next) break;
      heavy = `${heavy.replace(/&cursor=[^&]*/, '')}&cursor=${next}`;
    }
    const listPath = '/catalog/products?limit=20';
    const detailPath = `/catalog/products/${id}`;
    for (const path of [detailPath, listPath, heavy]) await fetch(`${on}${path}`); // fill the cache

    const redis = new Redis(env.REDIS_URL);
    const [detailKey] = await redis.keys(`catalog:product:${id}`);
    redis.disconnect();
    const bare = await freePort();
    const minimal = await freePort();
    children.push(await startProcess([resolve(repoRoot, 'tools/bench/bare-redis-server.mjs')], { REDIS_URL: env.REDIS_URL, BENCH_KEY: detailKey }, bare));
    children.push(await startProcess([resolve(repoRoot, 'tools/bench/minimal-nest-app.mjs')], { REDIS_URL: env.REDIS_URL, BENCH_KEY: detailKey }, minimal));
    me = await authMe();

    const cases: Case[] = [
      { label: 'ceiling: bare node:http + ioredis GET', url: `http://127.0.0.1:${bare}/` },
      { label: 'framework: minimal NestJS + Fastify, same Redis GET', url: `http://127.0.0.1:${minimal}/` },
      { label: 'framework: minimal NestJS + Fastify, no I/O route', url: `http://127.0.0.1:${minimal}/health/live` },
      { label: 'catalog: GET /health/live', url: `${on}/health/live` },
      { label: 'catalog: detail, cache on', url: `${on}${detailPath}` },
      me.case,
      { label: 'catalog: detail, cache off (replica query)', url: `${off}${detailPath}` },
      { label: 'catalog: list page, cache on', url: `${on}${listPath}` },
      { label: 'catalog: list page, cache off (replica query)', url: `${off}${listPath}` },
      { label: 'catalog: heavy list, cache on', url: `${on}${heavy}` },
      { label: 'catalog: heavy list, cache off (search + category + price range, by price, page 6)', url: `${off}${heavy}` },
    ];
    if (ONLY) {
      const rows = await measureAll(cases.filter((item) => ONLY.test(item.label)));
      for (const row of rows) console.log(`| ${row.label} | ${row.rps.toFixed(0)} req/s | p50 ${row.p50} ms | p99 ${row.p99} ms | ${row.errors} errors |`);
      return;
    }
    const rows = await measureAll(cases);
    const byLabel = (prefix: string) => rows.find((row) => row.label.startsWith(prefix)) as Row;
    const ceiling = rows[0].rps;
    console.log(`\n${PRODUCTS} products, ${CONNECTIONS} connections, median of ${ROUNDS} runs of ${SECONDS} s per case (after a 1 s warm-up), LOG_LEVEL=info, autocannon on the same 2-core machine`);
    console.log('| case | req/s | share of the ceiling | p50 ms | p99 ms | errors |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const row of rows) console.log(`| ${row.label} | ${row.rps.toFixed(0)} | ${((row.rps / ceiling) * 100).toFixed(1)} % | ${row.p50} | ${row.p99} | ${row.errors} |`);

    const ratio = (a: Row, b: Row) => a.rps / b.rps;
    const goals = [
      ['cached detail / bare ceiling', ratio(byLabel('catalog: detail, cache on'), rows[0]), 0.6],
      ['/health/live / minimal NestJS (same Redis GET)', ratio(byLabel('catalog: GET /health/live'), rows[1]), 0.75],
      ['/health/live / minimal NestJS (no I/O route)', ratio(byLabel('catalog: GET /health/live'), rows[2]), 0.75],
      ['heavy list cache on / off', ratio(byLabel('catalog: heavy list, cache on'), byLabel('catalog: heavy list, cache off')), 10],
      ['list page cache on / off', ratio(byLabel('catalog: list page, cache on'), byLabel('catalog: list page, cache off')), undefined],
      ['/auth/me / cached detail', ratio(byLabel('auth: GET /auth/me'), byLabel('catalog: detail, cache on')), undefined],
    ] as const;
    console.log('\n| ratio | measured | goal |');
    console.log('|---|---:|---:|');
    for (const [name, value, goal] of goals) {
      const shown = goal !== undefined && goal < 1 ? `${(value * 100).toFixed(0)} %` : `${value.toFixed(2)}x`;
      const target = goal === undefined ? '' : goal < 1 ? `>= ${goal * 100} % ${value >= goal ? 'met' : 'MISSED'}` : `>= ${goal}x ${value >= goal ? 'met' : 'MISSED'}`;
      console.log(`| ${name} | ${shown} | ${target} |`);
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await me?.stop();
    await issuer.close();
    await new Promise((r) => setTimeout(r, 1_000));
    await db.drop();
  }

  if (!COLD_STARTS || ONLY) return;
  await printColdStarts();
}

async function printColdStarts() {
  const starts = await coldStarts();
  console.log(
    `\nEach service alone: spawn of \`node dist/apps/<service>/main.js\` to its first 200 from /health/ready (every dependency seen up), and VmRSS 3 s after ready and idle for ${SETTLE_MS / 1000} s (after V8's memory reducer has given back the heap start-up grew)`,
  );
  console.log(`| service | cold start to ready | goal <= 3 s | RSS 3 s after ready | idle RSS (${SETTLE_MS / 1000} s) | goal <= 120 MB |`);
  console.log('|---|---:|---|---:|---:|---|');
  for (const start of starts) {
    console.log(
      `| ${start.service} | ${(start.readyMs / 1000).toFixed(2)} s | ${start.readyMs <= 3_000 ? 'met' : 'MISSED'} | ${start.rssMb.toFixed(0)} MB | ${start.settledRssMb.toFixed(0)} MB | ${start.settledRssMb <= 120 ? 'met' : 'MISSED'} |`,
    );
  }
}

runBenchmark(main);
