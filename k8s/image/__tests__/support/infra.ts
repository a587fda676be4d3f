/**
 * The local infrastructure as the image tests use it, without the Nest-based test helpers (the images are
 * black boxes here): its addresses (.local/infra.env, loaded into the environment by scripts/run-jest.mjs),
 * throwaway databases (as libs/testing createTestDatabase makes them), an RS256 key set for auth
 * (as libs/testing signingKeys()), a JWKS endpoint on loopback for the other services, a free port and
 * the removal of a run's prefixed Kafka topics.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { ROOT } from './podman';

function infraEnv(name: string): string {
  if (process.env[name]) return process.env[name]!;
  const file = process.env.INFRA_ENV_FILE ?? join(ROOT, '.local/infra.env');
  if (existsSync(file)) {
    const match = new RegExp(`^${name}=(.*)$`, 'm').exec(readFileSync(file, 'utf8'));
    if (match) return match[1].trim();
  }
  throw new Error(`${name} is not set: start the infrastructure with 'npm run infra -- up'`);
}

export const infra = {
  get primaryBase() {
    return infraEnv('DATABASE_PRIMARY_URL_BASE');
  },
  get replicaBase() {
    return infraEnv('DATABASE_REPLICA_URL_BASE');
  },
  get redisUrl() {
    return infraEnv('REDIS_URL');
  },
  get kafkaBrokers() {
    return infraEnv('KAFKA_BROKERS');
  },
};

export const uniqueName = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  primaryUrl: string;
  replicaUrl: string;
  drop(): Promise<void>;
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
      if (Date.now() > deadline)
        throw new Error(`replica never saw database ${name}: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    primaryUrl,
    replicaUrl,
    drop: () =>
      withClient(`${infra.primaryBase}/postgres`, (client) =>
        client.query(`drop database if exists "${name}" with (force)`),
      ).then(() => undefined),
  };
}

/** A JWT_SIGNING_KEYS value: private RSA JWKs with a kid. */
export function signingKeysJson(kid: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return JSON.stringify([{ ...(privateKey.export({ format: 'jwk' }) as object), kid }]);
}

/** A JWKS endpoint on loopback, standing in for auth for the other services. */
export async function startJwks(): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwks = JSON.stringify({
    keys: [
      { ...(publicKey.export({ format: 'jwk' }) as object), kid: 'image-test', alg: 'RS256', use: 'sig' },
    ],
  });
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    env: {
      JWT_ISSUER: `http://127.0.0.1:${port}/auth`,
      JWT_AUDIENCE: 'saas-starter',
      JWKS_URL: `http://127.0.0.1:${port}/auth/.well-known/jwks.json`,
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * An OTLP/HTTP trace receiver on loopback standing in for a collector: it keeps each export's body
 * (protobuf, where the service's name appears as plain bytes).
 */
export async function startTraceCollector(): Promise<{
  env: Record<string, string>;
  /** Resolves once an export naming `service` has arrived; rejects after `timeoutMs`. */
  exportFrom(service: string, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}> {
  const exports: Buffer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') exports.push(Buffer.concat(chunks));
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '200' },
    exportFrom: async (service, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (!exports.some((body) => body.includes(Buffer.from(service)))) {
        if (Date.now() > deadline) throw new Error(`no trace export from ${service} within ${timeoutMs} ms (${exports.length} exports from others)`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port that was free a moment ago (an ephemeral one: never the platform's 3001-3004 or 8080). */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Deletes the topics (and .dlq twins) the services created under a run's prefix. Best effort. */
export async function deleteTopics(prefix: string, clientId: string): Promise<void> {
  const admin = new Kafka({
    clientId,
    brokers: infra.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 10_000 });
  } catch {
    // a prefixed topic left behind harms nobody
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
