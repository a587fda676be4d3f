/**
 * A consumer replica in its own process, for the rebalance test: node -r @swc-node/register consumer-worker.ts
 * Env: PRIMARY_URL, KAFKA_BROKERS, TOPIC_PREFIX, GROUP, HANDLER_DELAY_MS, PARTITIONS_CONCURRENTLY, FETCH_MAX_WAIT_MS, FETCH_MIN_BYTES, RECORD_APPLIED_AT (also write
 * when each handler ran into effects.applied_ms, for the outbox bench), BATCH_HANDLER=1 (with RECORD_APPLIED_AT: the
 * effect's batch form, one insert per run of events). SIGTERM stops it gracefully.
 */
import { TOPICS } from '@saas/contracts';
import { createDatabase } from '@saas/data';
import { EventConsumer, KafkaConnection } from '../index';
import { recordEffect, recordEffects, recordEffectWithTime } from './messaging-fixtures';

async function main() {
  const env = process.env as Record<string, string>;
  const db = createDatabase({
    service: 'worker',
    primaryUrl: env.PRIMARY_URL,
    replicaUrls: [],
    entities: [],
    poolSize: 4,
    connectTimeoutMs: 1_000,
    statementTimeoutMs: 10_000,
    replicaMaxLagBytes: 1e9,
  });
  await db.primary.start();
  const kafka = new KafkaConnection({ brokers: [env.KAFKA_BROKERS], clientId: `worker-${process.pid}`, topicPrefix: env.TOPIC_PREFIX });
  await kafka.connect();
  const delay = Number(env.HANDLER_DELAY_MS ?? 0);
  const effect = env.RECORD_APPLIED_AT === '1' ? recordEffectWithTime : recordEffect;
  const consumer = new EventConsumer(db, kafka, {
    group: env.GROUP,
    topics: [TOPICS.product],
    maxAttempts: 3,
    sessionTimeoutMs: 6_000,
    partitionsConcurrently: env.PARTITIONS_CONCURRENTLY ? Number(env.PARTITIONS_CONCURRENTLY) : undefined,
    fetchMaxWaitMs: env.FETCH_MAX_WAIT_MS ? Number(env.FETCH_MAX_WAIT_MS) : undefined,
    fetchMinBytes: env.FETCH_MIN_BYTES ? Number(env.FETCH_MIN_BYTES) : undefined,
    batchHandlers: env.BATCH_HANDLER === '1' && env.RECORD_APPLIED_AT === '1' && delay === 0 ? recordEffects(true).handlers : undefined,
    handlers: {
      'catalog.product.updated.v1': async (event, em) => {
        await effect['catalog.product.updated.v1']!(event, em);
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay)); // inside the transaction: a kill here rolls back
      },
    },
  });
  await consumer.start();
  process.stdout.write('started\n');
  process.once('SIGTERM', async () => {
    await consumer.stop();
    await kafka.onApplicationShutdown();
    await db.primary.close();
    process.stdout.write('stopped\n');
    process.exit(0);
  });
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
