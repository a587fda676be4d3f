/**
 * Benchmark: what tracing costs on the hottest path, a cached product detail (catalog, Redis hit), with
 * tracing off (the default), on and exporting every span to the real Jaeger, and on with nothing sampled
 * (instrumentation present, ratio 0). Three catalog processes from the built bundle run side by side; the
 * cases are measured in turns, three rounds after a warm-up, and the median round of each is reported.
 *   npm run bench -- tracing      (BENCH_PRODUCTS, BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_ROUNDS)
 * BENCH_CASES=off,baseline (names: off, on, unsampled, baseline) measures only those.
 * BENCH_BASELINE_DIST=<dir> adds a fourth case: the catalog bundle in <dir>/catalog/main.js, e.g. built from
 * the commit before tracing existed, to show that "off" costs nothing next to code without it.
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { loadConfig } from '@saas/config';
import { migrate } from '@saas/platform';
import { createTestDatabase, eventually, findTraces, freePort, repoRoot, serviceEnv, signingKeys, startJaeger, startTestIssuer } from '@saas/testing';
import { catalogSpec } from '../../apps/catalog/src/app.module';
import { catalogEnv } from '../../apps/catalog/src/config';
import { seedCatalog } from '../../apps/catalog/src/seed/seed';
import { httpLoad, printHttpTable, runBenchmark, startProcess } from './measure';

const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

type Row = Awaited<ReturnType<typeof httpLoad>>;
const median = (rows: Row[]): Row => [...rows].sort((a, b) => a.rps - b.rps)[Math.floor(rows.length / 2)];

async function main() {
  const db = await createTestDatabase('bench_tracing');
  const issuer = await startTestIssuer();
  const jaeger = await startJaeger();
  const env = serviceEnv(db, { ...issuer.env, LOG_LEVEL: 'error', JWT_SIGNING_KEYS: signingKeys('bench').json, CACHE_ENABLED: 'true' });
  const config = loadConfig(catalogEnv, env);
  await migrate(catalogSpec, config);
  console.log(await seedCatalog(config, ['--products', String(PRODUCTS)]));
  const children: ChildProcess[] = [];
  try {
    const baseline = process.env.BENCH_BASELINE_DIST;
    const bundle = resolve(repoRoot, 'dist/apps/catalog/main.js');
    const all: { name: string; label: string; env: Record<string, string>; main?: string }[] = [
      { name: 'off', label: 'cached detail, tracing off (default)', env: {} },
      { name: 'on', label: 'cached detail, tracing on, every request sampled and exported to Jaeger', env: { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint } },
      {
        name: 'unsampled',
        label: 'cached detail, tracing on, nothing sampled (ratio 0)',
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
      },
      ...(baseline
        ? [{ name: 'baseline', label: 'cached detail, the bundle without tracing code (BENCH_BASELINE_DIST)', env: {}, main: resolve(baseline, 'catalog/main.js') }]
        : []),
    ];
    const only = process.env.BENCH_CASES?.split(',');
    const cases = only ? all.filter((which) => only.includes(which.name)) : all;
    const ports: number[] = [];
    for (const [index, which] of cases.entries()) {
      const port = await freePort();
      ports.push(port);
      children.push(await startProcess([which.main ?? bundle], { ...env, ...which.env, INSTANCE_ID: `bench-tracing-${index}` }, port));
    }
    for (const port of ports) await eventually(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok, 60_000, 500);
    const page = (await (await fetch(`http://127.0.0.1:${ports[0]}/catalog/products?limit=20`)).json()) as { items: { id: string }[] };
    const path = `/catalog/products/${page.items[5].id}`;
    const urls = ports.map((port) => `http://127.0.0.1:${port}${path}`);
    for (const url of urls) {
      const warm = await fetch(url);
      await warm.text();
      await eventually(async () => (await fetch(url)).headers.get('x-cache') === 'hit', 10_000);
    }
    // Warm-up (JIT, connection pools), then rounds in turns so the machine's load hits every case alike; each
    // round starts one case later (no case always follows the sampled one, whose export Jaeger ingests next).
    for (const [index, url] of urls.entries()) await httpLoad(`warm-up ${index}`, { url, connections: CONNECTIONS, duration: 2 });
    const rounds: Row[][] = cases.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (let turn = 0; turn < urls.length; turn++) {
        const index = (round + turn) % urls.length;
        rounds[index].push(await httpLoad(cases[index].label, { url: urls[index], connections: CONNECTIONS, duration: SECONDS }));
      }
    }
    const rows = rounds.map(median);
    printHttpTable(
      `cached product detail, ${CONNECTIONS} connections, ${SECONDS}s per case, median of ${ROUNDS} rounds taken in turns, autocannon on the same machine (2 cores)`,
      rows,
    );
    console.log(`\nrounds (req/s): ${rounds.map((caseRows, index) => `${index}: ${caseRows.map((row) => row.rps.toFixed(0)).join(' / ')}`).join('; ')}`);
    const rps = (name: string) => rows[cases.findIndex((which) => which.name === name)]?.rps;
    const ratio = (a: string, b: string, what: string) => rps(a) && rps(b) && console.log(`${what} = ${(rps(a) / rps(b)).toFixed(2)}x throughput`);
    ratio('on', 'off', 'tracing on / off');
    ratio('unsampled', 'off', 'on but nothing sampled / off');
    ratio('off', 'baseline', 'off / without tracing code');
    if (rps('on')) {
      // The "on" case really traced: its spans are in Jaeger.
      const traced = await eventually(async () => (await findTraces(jaeger, { service: 'catalog', operation: 'GET /catalog/products/:id', limit: '5' })).length, 30_000, 500);
      console.log(`Jaeger holds traces of the sampled case (found ${traced} for GET /catalog/products/:id)`);
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await issuer.close();
    await new Promise((r) => setTimeout(r, 1_000));
    await jaeger.stop();
    await db.drop();
  }
}

runBenchmark(main);
