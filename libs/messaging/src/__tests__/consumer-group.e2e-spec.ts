import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createEvent, TOPICS, toKafkaMessage } from '@saas/contracts';
import { eventually, infra, repoRoot, sql, uniqueName } from '@saas/testing';
import type { KafkaConnection } from '../index';
import { kafkaConnection, newKey, serviceDatabase, uniquePrefix } from './harness';

function startWorker(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
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

describe('three consumer replicas in one group', () => {
  let db: Awaited<ReturnType<typeof serviceDatabase>>;
  let kafka: KafkaConnection;
  const prefix = uniquePrefix();
  const workers: ReturnType<typeof startWorker>[] = [];

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
    for (let i = 0; i < 3; i++) workers.push(startWorker(env));
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
