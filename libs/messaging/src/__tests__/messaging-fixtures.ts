/** Fixtures of the messaging tests and the outbox bench: a service database with the outbox/inbox migrations, a Kafka connection, relays, consumers, events. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { TOPICS, type Envelope } from '@saas/contracts';
import { createDatabase, type Database } from '@saas/data';
import { createTestDatabase, infra, repoRoot, sql, uniqueName, type TestDatabase } from '@saas/testing';
import { EventConsumer, MESSAGING_MIGRATIONS, KafkaConnection, Outbox, OutboxRelay, type EventBatchHandlers, type EventHandlers } from '../index';

/** A service database with the outbox/inbox migrations applied (or the ones given), plus an `effects` table for consumers. */
export async function serviceDatabase(
  name: string,
  poolSize = 8,
  migrations: readonly (typeof MESSAGING_MIGRATIONS)[number][] = MESSAGING_MIGRATIONS,
): Promise<{ test: TestDatabase; db: Database; close(): Promise<void> }> {
  const test = await createTestDatabase(name);
  const db = createDatabase({
    service: name,
    primaryUrl: test.primaryUrl,
    replicaUrls: [],
    entities: [],
    migrations: [...migrations],
    poolSize,
    connectTimeoutMs: 1_000,
    statementTimeoutMs: 10_000,
    replicaMaxLagBytes: 1e9,
  });
  await db.primary.start();
  await db.primary.dataSource.runMigrations();
  await sql(test.primaryUrl, 'create table effects (id bigserial primary key, event_id uuid not null, key text not null, seq int not null)');
  return {
    test,
    db,
    close: async () => {
      await db.primary.close();
      await test.drop();
    },
  };
}

export function kafkaConnection(prefix: string, clientId = 'messaging-test'): KafkaConnection {
  return new KafkaConnection({
    brokers: [infra.kafkaBrokers],
    clientId,
    topics: [TOPICS.product],
    topicPrefix: prefix,
    partitions: 3,
    replicationFactor: 1,
  });
}

export const uniquePrefix = () => `${uniqueName('t')}.`;

/** Writes a "product updated" event whose price carries a per-key sequence number (to check ordering). */
export async function writeProductEvent(db: Database, outbox: Outbox, productId: string, seq: number): Promise<string> {
  return db.write((em) =>
    outbox.publish(em, 'catalog.product.updated.v1', productId, {
      productId,
      name: `product ${seq}`,
      priceCents: seq,
      categoryId: null,
      imageAssetIds: [],
    }),
  );
}

/** Handler that records the effect in the same transaction as the inbox row. */
export const recordEffect: EventHandlers = {
  'catalog.product.updated.v1': async (event, em) => {
    await em.query('insert into effects (event_id, key, seq) values ($1, $2, $3)', [event.id, event.data.productId, event.data.priceCents]);
  },
};

/**
 * The batch form of recordEffect (or, `withAppliedAt`, of recordEffectWithTime): one insert for a run of
 * events; `calls` counts the inserts.
 */
export function recordEffects(withAppliedAt = false): { handlers: EventBatchHandlers; calls: () => number } {
  let calls = 0;
  return {
    handlers: {
      'catalog.product.updated.v1': async (events, em) => {
        calls++;
        const columns = [events.map((event) => event.id), events.map((event) => event.data.productId), events.map((event) => event.data.priceCents)];
        await (withAppliedAt
          ? em.query('insert into effects (event_id, key, seq, applied_ms) select *, $4::float8 from unnest($1::uuid[], $2::text[], $3::int[])', [...columns, Date.now()])
          : em.query('insert into effects (event_id, key, seq) select * from unnest($1::uuid[], $2::text[], $3::int[])', columns));
      },
    },
    calls: () => calls,
  };
}

/** The same effect, also recording when the handler ran (epoch ms, effects.applied_ms: the outbox bench adds the column). */
export const recordEffectWithTime: EventHandlers = {
  'catalog.product.updated.v1': async (event, em) => {
    await em.query('insert into effects (event_id, key, seq, applied_ms) values ($1, $2, $3, $4)', [
      event.id,
      event.data.productId,
      event.data.priceCents,
      Date.now(),
    ]);
  },
};

export function consumer(
  db: Database,
  kafka: KafkaConnection,
  handlers: EventHandlers,
  group = uniqueName('group'),
  maxAttempts = 3,
  maxBatchSize?: number,
  batchHandlers?: EventBatchHandlers,
) {
  return new EventConsumer(db, kafka, { group, topics: [TOPICS.product], handlers, batchHandlers, maxAttempts, retryBaseMs: 20, sessionTimeoutMs: 6_000, maxBatchSize });
}

export function relay(db: Database, kafka: KafkaConnection, primaryUrl: string) {
  return new OutboxRelay(db, kafka, { service: 'test', primaryUrl, pollMs: 200 });
}

export const newKey = () => randomUUID();
export type { Envelope };

/**
 * A consumer replica in a process of its own (consumer-worker.ts): env PRIMARY_URL, KAFKA_BROKERS,
 * TOPIC_PREFIX, GROUP, HANDLER_DELAY_MS, RECORD_APPLIED_AT, BATCH_HANDLER. It prints "started" once consuming; SIGTERM stops it gracefully.
 */
export function startConsumerWorker(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', resolve(__dirname, 'consumer-worker.ts')], {
    cwd: repoRoot,
    env: { ...process.env, SWC_NODE_PROJECT: resolve(repoRoot, 'libs/messaging/tsconfig.json'), LOG_LEVEL: 'warn', ...env },
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}
