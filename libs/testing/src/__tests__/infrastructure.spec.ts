import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { createTestDatabase, eventually, infra, sql, uniqueName, type TestDatabase } from '../index';

// The real infrastructure started by scripts/infra/infra.sh, exercised the way the services use it.
describe('local infrastructure', () => {
  describe('postgres primary + streaming replica', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase('infra');
      await sql(db.primaryUrl, 'create table notes (id serial primary key, body text not null)');
    });
    afterAll(() => db?.drop());

    it('replicates a row written on the primary to the replica within seconds', async () => {
      const body = uniqueName('note');
      await sql(db.primaryUrl, 'insert into notes (body) values ($1)', [body]);
      const rows = await eventually(async () => {
        const found = await sql<{ body: string }>(db.replicaUrl, 'select body from notes where body = $1', [body]);
        return found.length ? found : undefined;
      }, 5_000);
      expect(rows[0].body).toBe(body);
    });

    it('runs the replica as a read-only hot standby', async () => {
      const [state] = await sql<{ recovery: boolean }>(db.replicaUrl, 'select pg_is_in_recovery() as recovery');
      expect(state.recovery).toBe(true);
      await expect(sql(db.replicaUrl, "insert into notes (body) values ('nope')")).rejects.toThrow(/read-only transaction/);
    });

    it('streams from the primary (pg_stat_replication)', async () => {
      const rows = await sql<{ state: string }>(db.primaryUrl, 'select state from pg_stat_replication');
      expect(rows.map((row) => row.state)).toContain('streaming');
    });
  });

  describe('redis', () => {
    it('round-trips a value with a TTL', async () => {
      const redis = new Redis(infra.redisUrl, { maxRetriesPerRequest: 1 });
      try {
        const key = uniqueName('infra');
        await redis.set(key, 'value', 'PX', 5_000);
        expect(await redis.get(key)).toBe('value');
        expect(await redis.pttl(key)).toBeGreaterThan(0);
      } finally {
        redis.disconnect();
      }
    });
  });

  describe('kafka (KRaft, single node)', () => {
    const kafka = new Kafka({ clientId: 'infra-test', brokers: [infra.kafkaBrokers], logLevel: logLevel.NOTHING });

    it('creates a topic with explicit partitions and round-trips through a consumer group', async () => {
      const topic = uniqueName('infra.test');
      const admin = kafka.admin();
      await admin.connect();
      const producer = kafka.producer({ idempotent: true });
      const consumer = kafka.consumer({ groupId: uniqueName('infra-group') });
      try {
        expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
        const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
        expect(metadata.partitions).toHaveLength(3);

        await producer.connect();
        const sent = ['a', 'b', 'c'].map((key) => ({ key, value: `value-${key}` }));
        await producer.send({ topic, messages: sent });

        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        const received: string[] = [];
        await consumer.run({ eachMessage: async ({ message }) => void received.push(message.value!.toString()) });
        await eventually(async () => received.length === 3, 20_000);
        expect(received.sort()).toEqual(['value-a', 'value-b', 'value-c']);
      } finally {
        await consumer.disconnect();
        await producer.disconnect();
        await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
        await admin.disconnect();
      }
    });
  });
});
