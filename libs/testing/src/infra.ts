import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Client } from 'pg';

export const repoRoot = resolve(__dirname, '../../..');

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: start the infrastructure with 'npm run infra -- up' (tests read .local/infra.env)`);
  return value;
}

/** Addresses of the local infrastructure started by scripts/infra/infra.sh. */
export const infra = {
  get primaryBase() {
    return required('DATABASE_PRIMARY_URL_BASE');
  },
  get replicaBase() {
    return required('DATABASE_REPLICA_URL_BASE');
  },
  get redisUrl() {
    return required('REDIS_URL');
  },
  get kafkaBrokers() {
    return required('KAFKA_BROKERS');
  },
  /** Stops or starts one component (pg-primary, pg-replica, redis, kafka) to drive failure tests. */
  control(action: 'stop' | 'start', component: 'pg-primary' | 'pg-replica' | 'redis' | 'kafka'): void {
    execFileSync('bash', [resolve(repoRoot, 'scripts/infra/infra.sh'), action, component], { stdio: 'pipe', timeout: 120_000 });
  },
  /** The same without blocking the event loop, for drills that keep load running in this process. */
  controlAsync(action: 'stop' | 'start', component: 'pg-primary' | 'pg-replica' | 'redis' | 'kafka'): Promise<void> {
    return new Promise((done, fail) => {
      execFile('bash', [resolve(repoRoot, 'scripts/infra/infra.sh'), action, component], { timeout: 120_000 }, (error, _stdout, stderr) =>
        error ? fail(new Error(`infra ${action} ${component} failed: ${stderr || error.message}`)) : done(),
      );
    });
  },
};

export const uniqueName = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

export interface TestDatabase {
  name: string;
  primaryUrl: string;
  replicaUrl: string;
  drop(): Promise<void>;
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A throwaway database on the primary, waited for until the streaming replica has it too. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = uniqueName(`t_${prefix}`).toLowerCase();
  const primaryUrl = `${infra.primaryBase}/${name}`;
  const replicaUrl = `${infra.replicaBase}/${name}`;
  await withClient(`${infra.primaryBase}/postgres`, (client) => client.query(`create database "${name}"`));
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await withClient(replicaUrl, (client) => client.query('select 1'));
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`replica never saw database ${name}: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    name,
    primaryUrl,
    replicaUrl,
    drop: () =>
      withClient(`${infra.primaryBase}/postgres`, (client) =>
        client.query(`drop database if exists "${name}" with (force)`),
      ).then(() => undefined),
  };
}

export async function sql<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  return withClient(url, async (client) => (await client.query(text, params)).rows as T[]);
}

/** Polls until `probe` returns a truthy value or the time runs out. */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
