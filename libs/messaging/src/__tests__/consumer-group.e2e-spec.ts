import { createEvent, TOPICS, toKafkaMessage } from '@saas/contracts';
import { eventually, infra, sql, uniqueName } from '@saas/testing';
import type { KafkaConnection } from '../index';
import { kafkaConnection, newKey, serviceDatabase, startConsumerWorker, uniquePrefix } from './messaging-fixtures';

describe('three consumer replicas in one group', () => {
  let db: Awaited<ReturnType<typeof serviceDatabase>>;
  let kafka: KafkaConnection;
  const prefix = uniquePrefix();
  const workers: ReturnType<typeof startConsumerWorker>[] = [];

  beforeAll(async () => {
    db = await serviceDatabase('group');
    kafka = kafkaConnection(prefix);
    await kafka.connect();
    await kafka.ensureTopics();
  });

  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await kafka?.onApplicationShutdown();
    await db?.close();
  });

  it('loses nothing and applies nothing twice when one replica is killed mid-stream and another stops gracefully', async () => {
    const env = {
      PRIMARY_URL: db.test.primaryUrl,
      KAFKA_BROKERS: infra.kafkaBrokers,
      TOPIC_PREFIX: prefix,
      GROUP: uniqueName('replicas'),
      HANDLER_DELAY_MS: '25',
    };
    for (let i = 0; i < 3; i++) workers.push(startConsumerWorker(env));
    await eventually(async () => workers.every((worker) => worker.output().includes('started')), 60_000, 200);

    const keys = Array.from({ length: 30 }, newKey);
    const messages = [];
    for (let seq = 1; seq <= 10; seq++) {
      for (const key of keys) {
        messages.push(
          toKafkaMessage(
            createEvent('catalog.product.updated.v1', {
              source: '/catalog',
              subject: key,
              data: { productId: key, name: `p${seq}`, priceCents: seq, categoryId: null, imageAssetIds: [] },
            }),
          ),
        );
      }
    }
    await kafka.producer.send({ topic: kafka.topic(TOPICS.product), messages });

    const count = async () =>
      (await sql<{ total: number; distinct: number }>(db.test.primaryUrl, 'select count(*)::int as total, count(distinct event_id)::int as distinct from effects'))[0];
    await eventually(async () => (await count()).total >= 40, 60_000, 100);
    workers[0].child.kill('SIGKILL');
    workers[1].child.kill('SIGTERM');
    expect(await workers[1].exited).toBe(0);
    expect(workers[1].output()).toContain('stopped');

    await eventually(async () => (await count()).distinct >= 300, 90_000, 250);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await count()).toEqual({ total: 300, distinct: 300 });
  });
});
