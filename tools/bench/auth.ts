/**
 * Benchmark: logins/s (bounded by argon2id) and access-token verifications/s on a protected endpoint
 * (GET /auth/me: RS256 verify with the cached JWKS + revocation check in Redis + a replica read).
 *   npm run bench -- auth
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { loadConfig } from '@saas/config';
import { migrate } from '@saas/platform';
import { createTestDatabase, eventually, freePort, repoRoot, serviceEnv, signingKeys } from '@saas/testing';
import { authSpec } from '../../apps/auth/src/app.module';
import { authEnv } from '../../apps/auth/src/config';
import { httpLoad, printHttpTable, runBenchmark, startProcess } from './measure';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

async function main() {
  const db = await createTestDatabase('bench_auth');
  const port = await freePort();
  const env = serviceEnv(db, {
    LOG_LEVEL: 'error',
    JWT_SIGNING_KEYS: signingKeys('bench').json,
    JWKS_URL: `http://127.0.0.1:${port}/auth/.well-known/jwks.json`,
    RATE_LIMIT_LOGIN_PER_ACCOUNT: '100000',
    RATE_LIMIT_LOGIN_PER_IP: '100000',
  });
  await migrate(authSpec, loadConfig(authEnv, env));
  let child: ChildProcess | undefined;
  try {
    child = await startProcess([resolve(repoRoot, 'dist/apps/auth/main.js')], env, port);
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok, 60_000, 500);
    const base = `http://127.0.0.1:${port}/auth`;
    const credentials = JSON.stringify({ email: 'bench@example.com', password: 'correct horse battery' });
    const registered = await fetch(`${base}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench@example.com', password: 'correct horse battery', displayName: 'Bench' }),
    });
    const { accessToken } = (await registered.json()) as { accessToken: string };
    const rows = [
      await httpLoad('POST /auth/login (argon2id 19 MiB, t=2)', {
        url: `${base}/login`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: credentials,
        connections: 4,
        duration: SECONDS,
      }),
      await httpLoad('GET /auth/me (JWT verify + revocation check + read)', {
        url: `${base}/me`,
        headers: { authorization: `Bearer ${accessToken}` },
        connections: 16,
        duration: SECONDS,
      }),
      await httpLoad('GET /auth/.well-known/jwks.json (no auth, no DB)', { url: `${base}/.well-known/jwks.json`, connections: 16, duration: SECONDS }),
    ];
    printHttpTable(`One auth process, ${SECONDS}s per case, autocannon on the same 2-core machine`, rows);
    console.log(`\nverifications per login: ${(rows[1].rps / rows[0].rps).toFixed(0)}x — why services verify locally instead of calling auth`);
  } finally {
    child?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1_000));
    await db.drop();
  }
}

runBenchmark(main);
