/**
 * Benchmark: outbox relay throughput (events/s) and end-to-end latency from commit to applied effect
 * (p50/p99) at a stated rate, on the real Postgres and Kafka.   npm run bench -- outbox
 */
import { createEvent, TOPICS, toKafkaMessage } from '@saas/contracts';
import { eventually, sql } from '@saas/testing';
import { consumer, kafkaConnection, newKey, relay, serviceDatabase, uniquePrefix, writeProductEvent } from '../../libs/messaging/src/__tests__/harness';
import { Outbox } from '@saas/messaging';
import { runBenchmark } from './measure';

const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 5_000);
const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const pct = (values: number[], p: number) => values.sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

async function main() {
  const producer = await serviceDatabase('bench_outbox');
  const sink = await serviceDatabase('bench_inbox');
  await sql(sink.test.primaryUrl, 'alter table effects add column latency_ms double precision');
  const prefix = uniquePrefix();
  const kafka = kafkaConnection(prefix, 'bench');
  await kafka.connect();
  const outbox = new Outbox('/catalog', prefix);
  try {
    // 1. Relay throughput: a backlog written while no relay runs, then drained.
    const keys = Array.from({ length: 100 }, newKey);
    for (let i = 0; i < BACKLOG; i += 100) {
      await producer.db.write(async (em) => {
        for (let j = 0; j < 100; j++) {
          const key = keys[j];
          const event = createEvent('catalog.product.updated.v1', {
            source: '/catalog',
            subject: key,
            data: { productId: key, name: 'bench', priceCents: i + j, categoryId: null, imageAssetIds: [] },
          });
          const message = toKafkaMessage(event);
          await em.query('insert into outbox (id, topic, key, type, message) values ($1, $2, $3, $4, $5)', [
            event.id,
            kafka.topic(TOPICS.product),
            key,
            event.type,
            JSON.stringify({ value: message.value, headers: message.headers }),
          ]);
        }
      });
    }
    const publisher = relay(producer.db, kafka, producer.test.primaryUrl);
    const started = performance.now();
    let sent = 0;
    while (sent < BACKLOG) sent += await publisher.drainOnce();
    const seconds = (performance.now() - started) / 1000;
    console.log(`\nRelay throughput: ${BACKLOG} events in ${seconds.toFixed(2)} s = ${(BACKLOG / seconds).toFixed(0)} events/s (batches of 200, acks=all, idempotent producer)`);

    // 2. End-to-end latency at a fixed rate: commit -> relay (NOTIFY wake-up) -> Kafka -> consumer -> effect committed.
    const group = consumer(sink.db, kafka, {
      'catalog.product.updated.v1': async (event, em) => {
        await em.query('insert into effects (event_id, key, seq, latency_ms) values ($1, $2, $3, $4)', [
          event.id,
          event.data.productId,
          event.data.priceCents,
          Date.now() - Date.parse(event.time),
        ]);
      },
    });
    await group.start();
    // Let the consumer work through the phase-1 backlog first, so phase 2 measures latency, not queueing.
    const backlogStarted = performance.now();
    await eventually(
      async () => (await sql<{ n: number }>(sink.test.primaryUrl, 'select count(*)::int as n from effects'))[0].n >= BACKLOG,
      120_000,
      200,
    );
    const consumeSeconds = (performance.now() - backlogStarted) / 1000;
    console.log(`Consumer (inbox + effect per event, one replica): ${BACKLOG} events in ${consumeSeconds.toFixed(2)} s = ${(BACKLOG / consumeSeconds).toFixed(0)} events/s (includes group join)`);
    await sql(sink.test.primaryUrl, 'truncate effects');
    publisher.start();
    const phaseTwoStart = new Date();
    const total = RATE * SECONDS;
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      void writeProductEvent(producer.db, outbox, keys[i % keys.length], i);
    }
    await eventually(async () => (await sql(sink.test.primaryUrl, 'select 1 from effects')).length >= total, 60_000, 200);
    const latencies = (await sql<{ latency_ms: number }>(sink.test.primaryUrl, 'select latency_ms from effects')).map((row) => row.latency_ms);
    console.log(
      `End-to-end at ${RATE} events/s for ${SECONDS} s (${total} events): p50 ${pct(latencies, 0.5).toFixed(1)} ms, p99 ${pct(latencies, 0.99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`,
    );
    const relayLag = (
      await sql<{ ms: number }>(
        producer.test.primaryUrl,
        'select extract(epoch from (published_at - created_at)) * 1000 as ms from outbox where created_at >= $1',
        [phaseTwoStart],
      )
    ).map((row) => Number(row.ms));
    console.log(`  of which commit -> published by the relay: p50 ${pct(relayLag, 0.5).toFixed(1)} ms, p99 ${pct(relayLag, 0.99).toFixed(1)} ms`);
    await publisher.stop();
    await group.stop();
  } finally {
    await kafka.onApplicationShutdown();
    await producer.close();
    await sink.close();
  }
}

runBenchmark(main);
