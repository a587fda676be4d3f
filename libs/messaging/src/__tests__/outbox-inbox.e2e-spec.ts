import { createEvent, dlqTopic, TOPICS, toKafkaMessage } from '@saas/contracts';
import { eventually, infra, sql, uniqueName } from '@saas/testing';
import type { KafkaMessage } from 'kafkajs';
import type { EventBatchHandlers, EventHandlers, KafkaConnection, Outbox } from '../index';
import { Outbox as OutboxClass } from '../index';
import { consumer, kafkaConnection, newKey, recordEffect, recordEffects, relay, serviceDatabase, uniquePrefix, writeProductEvent } from './messaging-fixtures';

type Db = Awaited<ReturnType<typeof serviceDatabase>>;

async function effects(db: Db) {
  return sql<{ event_id: string; key: string; seq: number }>(db.test.primaryUrl, 'select event_id, key, seq from effects order by id');
}

/** Reads every message of a topic from the beginning with a throwaway group. */
async function readTopic(kafka: KafkaConnection, topic: string, expected: number): Promise<KafkaMessage[]> {
  const reader = kafka.kafka.consumer({ groupId: uniqueName('reader') });
  const messages: KafkaMessage[] = [];
  await reader.connect();
  await reader.subscribe({ topic, fromBeginning: true });
  await reader.run({ eachMessage: async ({ message }) => void messages.push(message) });
  try {
    await eventually(async () => messages.length >= expected, 20_000);
  } finally {
    await reader.disconnect();
  }
  return messages;
}

/** recordEffect, except that events named `poison` always fail with `reason`; counts their attempts. */
function failingOn(poison: string, reason: string): { handlers: EventHandlers; attempts: () => number } {
  let attempts = 0;
  return {
    handlers: {
      'catalog.product.updated.v1': async (event, em) => {
        if (event.data.name === poison) {
          attempts++;
          throw new Error(reason);
        }
        await recordEffect['catalog.product.updated.v1']!(event, em);
      },
    },
    attempts: () => attempts,
  };
}

describe('outbox, inbox and dead letters on real Kafka and Postgres', () => {
  let producerDb: Db;
  let consumerDb: Db;
  let kafka: KafkaConnection;
  let outbox: Outbox;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    producerDb = await serviceDatabase('outbox');
    consumerDb = await serviceDatabase('inbox');
    kafka = kafkaConnection(prefix);
    await kafka.connect();
    outbox = new OutboxClass('/catalog', prefix);
  });

  afterAll(async () => {
    await kafka?.onApplicationShutdown();
    await producerDb?.close();
    await consumerDb?.close();
  });

  it('loses nothing while Kafka is down: 500 writes, then every event applied exactly once, in order per key', async () => {
    const keys = Array.from({ length: 25 }, newKey);
    const sink = consumer(consumerDb.db, kafka, recordEffect);
    const publisher = relay(producerDb.db, kafka, producerDb.test.primaryUrl);
    infra.control('stop', 'kafka');
    try {
      for (let seq = 1; seq <= 20; seq++) {
        await Promise.all(keys.map((key) => writeProductEvent(producerDb.db, outbox, key, seq)));
      }
      const [{ pending }] = await sql<{ pending: number }>(
        producerDb.test.primaryUrl,
        'select count(*)::int as pending from outbox where published_at is null',
      );
      expect(pending).toBe(500);
      publisher.start(); // relay runs (and backs off) while Kafka is down
    } finally {
      infra.control('start', 'kafka');
    }
    await kafka.connect();
    await sink.start();
    try {
      await eventually(async () => (await effects(consumerDb)).length >= 500, 60_000, 250);
      const applied = await effects(consumerDb);
      expect(applied).toHaveLength(500);
      expect(new Set(applied.map((row) => row.event_id)).size).toBe(500);
      for (const key of keys) {
        expect(applied.filter((row) => row.key === key).map((row) => row.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      }
      const [{ unpublished }] = await sql<{ unpublished: number }>(
        producerDb.test.primaryUrl,
        'select count(*)::int as unpublished from outbox where published_at is null',
      );
      expect(unpublished).toBe(0);
    } finally {
      await publisher.stop();
      await sink.stop();
    }
  });

  it('keeps publishing across a Kafka restart in the middle of a stream of writes: every event applied once, in order per key', async () => {
    // Stopping the broker while the relay's batches are in flight can leave the idempotent producer with
    // sequence numbers the restarted broker refuses; the relay must get past that (a new producer).
    const keys: string[] = Array.from({ length: 10 }, newKey);
    const sink = consumer(consumerDb.db, kafka, recordEffect);
    const publisher = relay(producerDb.db, kafka, producerDb.test.primaryUrl);
    await sink.start();
    publisher.start();
    let stopped: Promise<void> | undefined;
    try {
      // Writes to one key follow each other (as updates of one row do); the keys' writes overlap.
      for (let seq = 1; seq <= 60; seq++) {
        await Promise.all(keys.map((key) => writeProductEvent(producerDb.db, outbox, key, seq)));
        if (seq === 20) stopped = infra.controlAsync('stop', 'kafka');
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      await stopped;
    } finally {
      await infra.controlAsync('start', 'kafka');
    }
    try {
      const mine = async () => (await effects(consumerDb)).filter((row) => keys.includes(row.key));
      await eventually(async () => (await mine()).length >= 600, 90_000, 250);
      const applied = await mine();
      expect(new Set(applied.map((row) => row.event_id)).size).toBe(600);
      expect(applied).toHaveLength(600);
      for (const key of keys) {
        expect(applied.filter((row) => row.key === key).map((row) => row.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      }
    } finally {
      await publisher.stop();
      await sink.stop();
    }
  }, 150_000);

  it('two relays on one outbox: one publishes, every event is sent once, the other takes over when it stops, and a cut connection is taken again', async () => {
    const keys = Array.from({ length: 10 }, newKey);
    const write = async (from: number, to: number) => {
      for (let seq = from; seq <= to; seq++) await Promise.all(keys.map((key) => writeProductEvent(producerDb.db, outbox, key, seq)));
    };
    const unpublished = async () =>
      (await sql<{ n: number }>(producerDb.test.primaryUrl, 'select count(*)::int as n from outbox where published_at is null'))[0].n;
    const first = relay(producerDb.db, kafka, producerDb.test.primaryUrl);
    const second = relay(producerDb.db, kafka, producerDb.test.primaryUrl);
    first.start();
    try {
      await eventually(async () => first.publishing, 10_000);
      second.start();
      await write(1, 20);
      await eventually(async () => (await unpublished()) === 0, 20_000, 100);
      expect(first.publishing).toBe(true);
      expect(second.publishing).toBe(false);
      // The publisher stops (a replica going away): its lock is released and the standby takes over.
      await first.stop();
      await write(21, 30);
      await eventually(async () => second.publishing && (await unpublished()) === 0, 20_000, 100);
      // Its connection is cut (a failover, an admin's pg_terminate_backend): the server drops the lock, and
      // the relay takes it again on a fresh connection.
      const [{ terminated }] = await sql<{ terminated: boolean }>(
        producerDb.test.primaryUrl,
        `select bool_and(pg_terminate_backend(pid)) as terminated from pg_locks where locktype = 'advisory' and objid = ${0x5aa5_0b0c} and granted`,
      );
      expect(terminated).toBe(true);
      await write(31, 40);
      await eventually(async () => second.publishing && (await unpublished()) === 0, 20_000, 100);
    } finally {
      await first.stop();
      await second.stop();
    }
    const admin = await kafka.admin();
    const total = (await admin.fetchTopicOffsets(kafka.topic(TOPICS.product))).reduce((n, p) => n + Number(p.offset), 0);
    const ours = (await readTopic(kafka, kafka.topic(TOPICS.product), total)).filter((m) => (keys as string[]).includes(m.key!.toString()));
    expect(ours).toHaveLength(400);
    const ids = ours.map((m) => m.headers!.ce_id!.toString());
    expect(new Set(ids).size).toBe(400);
    for (const key of keys) {
      const seqs = ours.filter((m) => m.key!.toString() === key).map((m) => JSON.parse(m.value!.toString()).priceCents);
      expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    }
  });

  describe('a relay stopped while a batch is on its way to Kafka', () => {
    const pendingOf = async (key: string) =>
      (await sql<{ n: number }>(producerDb.test.primaryUrl, 'select count(*)::int as n from outbox where key = $1 and published_at is null', [key]))[0].n;

    /** Starts a relay over five new events, calls `whileSending` with the batch held at the send, then stops the relay. */
    async function stopMidSend(whileSending: () => Promise<void>): Promise<string> {
      const key = newKey();
      for (let seq = 1; seq <= 5; seq++) await writeProductEvent(producerDb.db, outbox, key, seq);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let reached!: () => void;
      const sending = new Promise<void>((resolve) => (reached = resolve));
      const producer = kafka.producer;
      const send = producer.sendBatch.bind(producer);
      // The real send, held until the relay has been told to stop: the batch is in flight when it stops.
      const spy = jest.spyOn(producer, 'sendBatch').mockImplementation(async (batch) => {
        reached();
        await held;
        return send(batch);
      });
      const publisher = relay(producerDb.db, kafka, producerDb.test.primaryUrl);
      publisher.start();
      try {
        await sending;
        const stopped = publisher.stop();
        await whileSending();
        release();
        await stopped;
      } finally {
        spy.mockRestore();
      }
      return key;
    }

    it('marks that batch sent before it lets go: the next relay publishes nothing again', async () => {
      const key = await stopMidSend(async () => undefined);
      expect(await pendingOf(key)).toBe(0);
      const next = relay(producerDb.db, kafka, producerDb.test.primaryUrl);
      expect(await next.drainOnce()).toBe(0);
    });

    it('cannot mark it (its table gone for a moment): the rows stay pending and the next relay sends them again', async () => {
      const key = await stopMidSend(() => sql(producerDb.test.primaryUrl, 'alter table outbox rename to outbox_away').then(() => undefined));
      await sql(producerDb.test.primaryUrl, 'alter table outbox_away rename to outbox');
      expect(await pendingOf(key)).toBe(5);
      const next = relay(producerDb.db, kafka, producerDb.test.primaryUrl);
      expect(await next.drainOnce()).toBe(5);
      expect(await pendingOf(key)).toBe(0);
    });
  });

  it('applies an event delivered twice only once (inbox)', async () => {
    await sql(consumerDb.test.primaryUrl, 'truncate effects');
    const key = newKey();
    const event = createEvent('catalog.product.updated.v1', {
      source: '/catalog',
      subject: key,
      data: { productId: key, name: 'dup', priceCents: 1, categoryId: null, imageAssetIds: [] },
    });
    const message = toKafkaMessage(event);
    await kafka.producer.send({ topic: kafka.topic(TOPICS.product), messages: [message, message] });
    const sink = consumer(consumerDb.db, kafka, recordEffect);
    await sink.start();
    try {
      await eventually(async () => (await effects(consumerDb)).some((row) => row.key === key), 20_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // give the duplicate time to (not) apply
      expect((await effects(consumerDb)).filter((row) => row.key === key)).toHaveLength(1);
    } finally {
      await sink.stop();
    }
  });

  it('dead-letters a poison event after N attempts and keeps the partition flowing', async () => {
    const key = newKey();
    const failing = failingOn('poison', 'handler always fails for this one');
    const sink = consumer(consumerDb.db, kafka, failing.handlers);
    const poison = createEvent('catalog.product.updated.v1', {
      source: '/catalog',
      subject: key,
      data: { productId: key, name: 'poison', priceCents: 0, categoryId: null, imageAssetIds: [] },
    });
    const later = [1, 2, 3].map((seq) =>
      createEvent('catalog.product.updated.v1', {
        source: '/catalog',
        subject: key,
        data: { productId: key, name: `later ${seq}`, priceCents: seq, categoryId: null, imageAssetIds: [] },
      }),
    );
    // Same key, so the same partition: the later events queue behind the poison one.
    await kafka.producer.send({ topic: kafka.topic(TOPICS.product), messages: [poison, ...later].map(toKafkaMessage) });
    await sink.start();
    try {
      await eventually(async () => (await effects(consumerDb)).filter((row) => row.key === key).length === 3, 20_000);
      expect(failing.attempts()).toBe(3);
      const dead = (await readTopic(kafka, dlqTopic(kafka.topic(TOPICS.product)), 1)).find(
        (message) => message.headers?.ce_id?.toString() === poison.id,
      );
      expect(dead).toBeDefined();
      expect(dead!.headers!['dlq-reason']!.toString()).toBe('handler always fails for this one');
      expect(dead!.headers!['dlq-attempts']!.toString()).toBe('3');
      expect(dead!.headers!['dlq-source-topic']!.toString()).toBe(kafka.topic(TOPICS.product));
    } finally {
      await sink.stop();
    }
  });

  it('applies a backlog in batch transactions: one commit for many events, each applied once, in order', async () => {
    const keys: string[] = Array.from({ length: 3 }, newKey);
    const events = Array.from({ length: 300 }, (_, i) =>
      createEvent('catalog.product.updated.v1', {
        source: '/catalog',
        subject: keys[i % 3],
        data: { productId: keys[i % 3], name: `batched ${i}`, priceCents: i, categoryId: null, imageAssetIds: [] },
      }),
    );
    await kafka.producer.send({ topic: kafka.topic(TOPICS.product), messages: events.map(toKafkaMessage) });
    const group = uniqueName('batched');
    const sink = consumer(consumerDb.db, kafka, recordEffect, group);
    await sink.start();
    try {
      const mine = async () => (await effects(consumerDb)).filter((row) => keys.includes(row.key));
      await eventually(async () => (await mine()).length >= 300, 30_000, 200);
      const applied = await mine();
      expect(new Set(applied.map((row) => row.event_id)).size).toBe(300);
      for (const key of keys) {
        const seqs = applied.filter((row) => row.key === key).map((row) => row.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
      // processed_at defaults to now(), the transaction's start: one distinct value per transaction.
      const [{ transactions }] = await sql<{ transactions: number }>(
        consumerDb.test.primaryUrl,
        'select count(distinct processed_at)::int as transactions from inbox where consumer = $1 and event_id = any($2::uuid[])',
        [group, events.map((e) => e.id)],
      );
      expect(transactions).toBeLessThan(60);
    } finally {
      await sink.stop();
    }
  });

  describe('batch handlers', () => {
    const productEvents = (keys: string[], count: number, name: (i: number) => string) =>
      Array.from({ length: count }, (_, i) =>
        createEvent('catalog.product.updated.v1', {
          source: '/catalog',
          subject: keys[i % keys.length],
          data: { productId: keys[i % keys.length], name: name(i), priceCents: i, categoryId: null, imageAssetIds: [] },
        }),
      );

    it('apply a backlog with one call per run of events: each applied once, in order per key, the per-event handler unused', async () => {
      const keys: string[] = Array.from({ length: 3 }, newKey);
      const events = productEvents(keys, 300, (i) => `batch handled ${i}`);
      await kafka.producer.send({ topic: kafka.topic(TOPICS.product), messages: events.map(toKafkaMessage) });
      let perEvent = 0;
      const batch = recordEffects();
      const handlers: EventHandlers = {
        'catalog.product.updated.v1': async (event, em) => {
          perEvent++;
          await recordEffect['catalog.product.updated.v1']!(event, em);
        },
      };
      const sink = consumer(consumerDb.db, kafka, handlers, uniqueName('batch-handled'), 3, undefined, batch.handlers);
      await sink.start();
      try {
        const mine = async () => (await effects(consumerDb)).filter((row) => keys.includes(row.key));
        await eventually(async () => (await mine()).length >= 300, 30_000, 200);
        await new Promise((resolve) => setTimeout(resolve, 500)); // nothing more may arrive
        const applied = await mine();
        expect(applied).toHaveLength(300);
        expect(new Set(applied.map((row) => row.event_id)).size).toBe(300);
        for (const key of keys) {
          const seqs = applied.filter((row) => row.key === key).map((row) => row.seq);
          expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        }
        expect(perEvent).toBe(0);
        expect(batch.calls()).toBeGreaterThan(0);
        expect(batch.calls()).toBeLessThan(60);
      } finally {
        await sink.stop();
      }
    });

    it('failing on one event of a run: the run is applied event by event, so only that event is retried and dead-lettered', async () => {
      const key = newKey();
      const events = productEvents([key], 7, (i) => (i === 3 ? 'batch poison' : `around ${i}`));
      const failing = failingOn('batch poison', 'handler fails for this one');
      let batchCalls = 0;
      const batchHandlers: EventBatchHandlers = {
        'catalog.product.updated.v1': async (run, em) => {
          batchCalls++;
          if (run.some((event) => event.data.name === 'batch poison')) throw new Error('one event of the run is bad');
          await recordEffects().handlers['catalog.product.updated.v1']!(run, em);
        },
      };
      await kafka.producer.send({ topic: kafka.topic(TOPICS.product), messages: events.map(toKafkaMessage) });
      const sink = consumer(consumerDb.db, kafka, failing.handlers, uniqueName('batch-poison'), 3, undefined, batchHandlers);
      await sink.start();
      try {
        await eventually(async () => (await effects(consumerDb)).filter((row) => row.key === key).length >= 6, 20_000);
        await new Promise((resolve) => setTimeout(resolve, 500)); // nothing more may arrive
        expect((await effects(consumerDb)).filter((row) => row.key === key).map((row) => row.seq)).toEqual([0, 1, 2, 4, 5, 6]);
        expect(batchCalls).toBeGreaterThan(0);
        expect(failing.attempts()).toBe(3);
        const dead = (await readTopic(kafka, dlqTopic(kafka.topic(TOPICS.product)), 1)).find(
          (message) => message.headers?.ce_id?.toString() === events[3].id,
        );
        expect(dead!.headers!['dlq-attempts']!.toString()).toBe('3');
      } finally {
        await sink.stop();
      }
    });

    it('refuses a batch handler without the per-event handler its retries need', () => {
      expect(() => consumer(consumerDb.db, kafka, {}, uniqueName('no-single'), 3, undefined, recordEffects().handlers)).toThrow(
        'the batch handler for catalog.product.updated.v1 needs a per-event handler too',
      );
    });
  });

  it('a handler failing in the middle of a batch: the events before it apply once, it is retried and dead-lettered, the rest follow in order', async () => {
    const key = newKey();
    const failing = failingOn('middle poison', 'handler fails for the middle one');
    const sink = consumer(consumerDb.db, kafka, failing.handlers);
    const event = (name: string, seq: number) =>
      createEvent('catalog.product.updated.v1', {
        source: '/catalog',
        subject: key,
        data: { productId: key, name, priceCents: seq, categoryId: null, imageAssetIds: [] },
      });
    const before = [1, 2, 3].map((seq) => event(`before ${seq}`, seq));
    const poison = event('middle poison', 4);
    const after = [5, 6, 7].map((seq) => event(`after ${seq}`, seq));
    await kafka.producer.send({ topic: kafka.topic(TOPICS.product), messages: [...before, poison, ...after].map(toKafkaMessage) });
    await sink.start();
    try {
      await eventually(async () => (await effects(consumerDb)).filter((row) => row.key === key).length >= 6, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 500)); // nothing more may arrive
      expect((await effects(consumerDb)).filter((row) => row.key === key).map((row) => row.seq)).toEqual([1, 2, 3, 5, 6, 7]);
      // The batch's try counts: maxAttempts (3) tries in all, not one more.
      expect(failing.attempts()).toBe(3);
      const dead = (await readTopic(kafka, dlqTopic(kafka.topic(TOPICS.product)), 1)).find(
        (message) => message.headers?.ce_id?.toString() === poison.id,
      );
      expect(dead!.headers!['dlq-attempts']!.toString()).toBe('3');
    } finally {
      await sink.stop();
    }
  });

  it('rejects events with a wrong type, version or schema to the DLQ with a reason, without crashing', async () => {
    const key = newKey();
    const valid = createEvent('catalog.product.updated.v1', {
      source: '/catalog',
      subject: key,
      data: { productId: key, name: 'valid', priceCents: 5, categoryId: null, imageAssetIds: [] },
    });
    const base = toKafkaMessage(valid);
    const bad = [
      { ...base, headers: { ...base.headers, ce_id: newKey(), ce_type: 'catalog.product.exploded.v1' } },
      { ...base, headers: { ...base.headers, ce_id: newKey(), ce_type: 'catalog.product.updated.v7' } },
      { ...base, headers: { ...base.headers, ce_id: newKey() }, value: JSON.stringify({ productId: key, priceCents: -1 }) },
    ];
    const sink = consumer(consumerDb.db, kafka, recordEffect);
    await kafka.producer.send({ topic: kafka.topic(TOPICS.product), messages: [...bad, base] });
    await sink.start();
    try {
      await eventually(async () => (await effects(consumerDb)).some((row) => row.key === key), 20_000);
      const reasons = (await readTopic(kafka, dlqTopic(kafka.topic(TOPICS.product)), 4))
        .filter((message) => message.key?.toString() === key)
        .map((message) => message.headers!['dlq-reason']!.toString());
      expect(reasons).toEqual([
        expect.stringMatching(/unknown event type 'catalog.product.exploded.v1'/),
        expect.stringMatching(/unknown event type 'catalog.product.updated.v7'/),
        expect.stringMatching(/priceCents.*greater than or equal to 0|name/),
      ]);
    } finally {
      await sink.stop();
    }
  });
});
