/**
 * Benchmark: catalog throughput through HAProxy with 1 vs 2 replicas, and the balancer's overhead vs
 * calling one replica directly, measured side by side.   npm run bench -- balancer
 * The same pair (direct, through HAProxy) against the minimal NestJS app separates the balancer's own
 * cost from the service's.
 * Everything (load generator, HAProxy, replicas, Postgres, Redis) shares this machine's 2 cores, so a
 * second replica competes for the same CPU: the ratio shows what 2 cores allow, not what 2 hosts would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '@saas/config';
import { migrate } from '@saas/platform';
import { createTestDatabase, eventually, freePort, repoRoot, serviceEnv, startTestIssuer } from '@saas/testing';
import { catalogSpec } from '../../apps/catalog/src/app.module';
import { catalogEnv } from '../../apps/catalog/src/config';
import { seedCatalog } from '../../apps/catalog/src/seed/seed';
import { httpLoad, printHttpTable, runBenchmark, startProcess } from './measure';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

async function haproxy(port: number, replicas: number[]): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 30s',
      '  timeout server 30s',
      'frontend public',
      `  bind 127.0.0.1:${port}`,
      '  default_backend catalog',
      'backend catalog',
      '  balance roundrobin',
      ...replicas.map((replica, i) => `  server c${i} 127.0.0.1:${replica}`),
      '',
    ].join('\n'),
  );
  const child = spawn('haproxy', ['-f', config], { stdio: 'ignore' });
  await eventually(async () => (await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined))?.ok, 10_000, 100);
  return child;
}

async function main() {
  const db = await createTestDatabase('bench_lb');
  const issuer = await startTestIssuer();
  const env = serviceEnv(db, { ...issuer.env, LOG_LEVEL: 'error' });
  await migrate(catalogSpec, loadConfig(catalogEnv, env));
  await seedCatalog(loadConfig(catalogEnv, env), ['--products', '10000']);
  const children: ChildProcess[] = [];
  try {
    const ports = [await freePort(), await freePort()];
    for (const [i, port] of ports.entries()) {
      children.push(await startProcess([resolve(repoRoot, 'dist/apps/catalog/main.js')], { ...env, INSTANCE_ID: `bench-${i}` }, port));
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok, 60_000, 500);
    }
    const one = await freePort();
    const two = await freePort();
    children.push(await haproxy(one, ports.slice(0, 1)), await haproxy(two, ports));
    const minimal = await freePort();
    children.push(await startProcess([resolve(repoRoot, 'tools/bench/minimal-nest-app.mjs')], { REDIS_URL: env.REDIS_URL, BENCH_KEY: 'none' }, minimal));
    const minimalBalanced = await freePort();
    children.push(await haproxy(minimalBalanced, [minimal]));
    const path = '/catalog/products?limit=20';
    for (const port of [ports[0], ports[1]]) await fetch(`http://127.0.0.1:${port}${path}`); // warm the cache
    const load = (label: string, port: number) => httpLoad(label, { url: `http://127.0.0.1:${port}${path}`, connections: CONNECTIONS, duration: SECONDS });
    const bare = (label: string, port: number) => httpLoad(label, { url: `http://127.0.0.1:${port}/health/live`, connections: CONNECTIONS, duration: SECONDS });
    const rows = [
      await load('direct to one replica', ports[0]),
      await load('HAProxy -> 1 replica', one),
      await load('HAProxy -> 2 replicas', two),
      await bare('minimal NestJS app (no I/O route), direct', minimal),
      await bare('minimal NestJS app (no I/O route), HAProxy -> it', minimalBalanced),
    ];
    printHttpTable(`GET ${path} (cached), ${CONNECTIONS} connections, ${SECONDS}s per case`, rows);
    console.log(
      `\nbalancer overhead: ${((1 - rows[1].rps / rows[0].rps) * 100).toFixed(0)} % throughput on catalog, ${((1 - rows[4].rps / rows[3].rps) * 100).toFixed(0)} % on the minimal app; 2 replicas vs 1 through the balancer: ${(rows[2].rps / rows[1].rps).toFixed(2)}x`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await issuer.close();
    await new Promise((r) => setTimeout(r, 1_000));
    await db.drop();
  }
}

runBenchmark(main);
