/**
 * Benchmark: the event path on the real Postgres and Kafka.   npm run bench -- outbox
 *  1. relay throughput (events/s) draining a backlog;
 *  2. one consumer replica draining the same backlog, one transaction per event vs batch transactions, with the
 *     effect's per-event handler (one insert per event) and its batch handler (one insert per run of events);
 *  3. end to end (commit -> relay -> Kafka -> consumer -> effect committed) at a fixed rate with two
 *     consumer replicas in one group, each a process of its own: steady with the per-event handler, then (the
 *     replicas restarted with the batch handler) steady, during a rebalance (one replica stopped mid-run) and
 *     during a Kafka outage (catch-up time), each checked for lost and duplicated events.
 * BENCH_BACKLOG (10000), BENCH_RATE (1000 events/s), BENCH_SECONDS (30) size it; BENCH_SWEEP (500,750) adds
 * steady runs at lower rates first, each with the machine's CPU busy share; BENCH_PHASES picks among
 * steady,rebalance,kafka (default: all three); BENCH_PARTITIONS_CONCURRENTLY sets the replicas' partitionsConcurrently;
 * BENCH_FETCH_MAX_WAIT_MS (10) and BENCH_FETCH_MIN_BYTES (65536) their fetch batching (empty: the library's defaults).
 * BENCH_NO_RETENTION_INDEXES=1 leaves out the retention migration's indexes (what they cost the event path).
 */
import { readFileSync } from 'node:fs';
import { createEvent, TOPICS, toKafkaMessage } from '@saas/contracts';
import { eventually, infra, sql, uniqueName } from '@saas/testing';
import {
  consumer,
  kafkaConnection,
  newKey,
  recordEffects,
  recordEffectWithTime,
  relay,
  serviceDatabase,
  startConsumerWorker,
  uniquePrefix,
  writeProductEvent,
} from '../../libs/messaging/src/__tests__/messaging-fixtures';
import { CreateOutboxAndInbox1764300000000, Outbox } from '@saas/messaging';
import { runBenchmark } from './measure';

const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 10_000);
const RATE = Number(process.env.BENCH_RATE ?? 1_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const PHASES = (process.env.BENCH_PHASES ?? 'steady,rebalance,kafka').split(',');
// Lower rates run first (steady only), to show where the machine's CPU, not the pipeline, sets the tail.
const SWEEP = (process.env.BENCH_SWEEP ?? '500,750').split(',').filter(Boolean).map(Number);

/** Busy share of all CPUs since `from` (a /proc/stat snapshot): the machine, not just this process. */
function cpuTimes(): number[] {
  return readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
}
function busyPercent(from: number[]): number {
  const to = cpuTimes();
  const delta = to.map((v, i) => v - from[i]);
  const total = delta.reduce((a, b) => a + b, 0);
  return total > 0 ? 100 * (1 - (delta[3] + delta[4]) / total) : NaN;
}

const pct = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Stops a consumer replica gracefully (SIGTERM: it commits, then leaves the group) and waits for it to exit. */
async function stopReplica(replica: ReturnType<typeof startConsumerWorker>): Promise<void> {
  replica.child.kill('SIGTERM');
  await replica.exited;
}

async function main() {
  // The producer's pool is a service's default (DATABASE_POOL_SIZE 10): 1,000 writes/s is its whole load.
  // BENCH_NO_RETENTION_INDEXES: only the first migration, without the retention indexes (what they cost).
  const migrations = process.env.BENCH_NO_RETENTION_INDEXES ? [CreateOutboxAndInbox1764300000000] : undefined;
  const producer = await serviceDatabase('bench_outbox', 10, migrations);
  const sink = await serviceDatabase('bench_inbox', undefined, migrations);
  await sql(sink.test.primaryUrl, 'alter table effects add column applied_ms double precision');
  const prefix = uniquePrefix();
  const kafka = kafkaConnection(prefix, 'bench');
  await kafka.connect();
  const outbox = new Outbox('/catalog', prefix);
  const keys = Array.from({ length: 100 }, newKey);
  const count = async (query: string, params: unknown[] = []) =>
    (await sql<{ n: number }>(sink.test.primaryUrl, query, params))[0].n;
  const workers: ReturnType<typeof startConsumerWorker>[] = [];
  try {
    // 1. Relay throughput: a backlog written while no relay runs, then drained.
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
    console.log(
      `\nRelay throughput: ${BACKLOG} events in ${seconds.toFixed(2)} s = ${(BACKLOG / seconds).toFixed(0)} events/s (batches of 200, acks=all, idempotent producer)`,
    );

    // 2. One consumer replica drains the backlog: each event in its own transaction, then batch transactions.
    // Timed from the first to the last inbox row (processed_at = its transaction's start), so the group join is not counted.
    console.log(`\nOne consumer replica draining ${BACKLOG} events (inbox + effect, 3 partitions)`);
    console.log('| transactions | events/s | transactions used | vs one per event |');
    console.log('|---|---:|---:|---:|');
    let perEvent = 0;
    for (const [label, maxBatchSize, batchHandlers] of [
      ['one per event', 1, undefined],
      ['batches of up to 100', 100, undefined],
      ['batches of up to 100, batch handler', 100, recordEffects(true).handlers],
    ] as const) {
      const group = uniqueName('drain');
      const drain = consumer(sink.db, kafka, recordEffectWithTime, group, 3, maxBatchSize, batchHandlers);
      await drain.start();
      await eventually(
        async () =>
          (await count('select count(*)::int as n from inbox where consumer = $1', [group])) >= BACKLOG,
        300_000,
        200,
      );
      await drain.stop();
      const [span] = await sql<{ seconds: number; transactions: number }>(
        sink.test.primaryUrl,
        'select extract(epoch from max(processed_at) - min(processed_at))::float as seconds, count(distinct processed_at)::int as transactions from inbox where consumer = $1',
        [group],
      );
      const rate = BACKLOG / Math.max(span.seconds, 0.001);
      perEvent ||= rate;
      console.log(
        `| ${label} | ${rate.toFixed(0)} | ${span.transactions} | ${(rate / perEvent).toFixed(2)}x |`,
      );
    }

    // 3. End to end at a fixed rate, two consumer replicas (processes) in one group.
    await sql(sink.test.primaryUrl, 'truncate effects');
    const group = uniqueName('e2e');
    const workerEnv = {
      PRIMARY_URL: sink.test.primaryUrl,
      KAFKA_BROKERS: infra.kafkaBrokers,
      TOPIC_PREFIX: prefix,
      GROUP: group,
      RECORD_APPLIED_AT: '1',
      PARTITIONS_CONCURRENTLY: process.env.BENCH_PARTITIONS_CONCURRENTLY ?? '',
      // A high-rate consumer's fetch batching (the library's default answers per byte, for cheap idling).
      FETCH_MAX_WAIT_MS: process.env.BENCH_FETCH_MAX_WAIT_MS ?? '10',
      FETCH_MIN_BYTES: process.env.BENCH_FETCH_MIN_BYTES ?? String(64 * 1024),
    };
    const startReplicas = async (env: Record<string, string>) => {
      const started = [startConsumerWorker(env), startConsumerWorker(env)];
      workers.push(...started);
      await eventually(async () => started.every((replica) => replica.output().includes('started')), 60_000, 200);
      // Both in the group with partitions assigned, so no measured event waits for a join.
      const admin = await kafka.admin();
      await eventually(async () => {
        const [described] = (await admin.describeGroups([group])).groups;
        return described.state === 'Stable' && described.members.length === 2;
      }, 60_000, 200);
      return started;
    };
    let replicas = await startReplicas(workerEnv);
    // The group reads the topic from the beginning: let it pass the backlog above before measuring latency.
    await eventually(
      async () =>
        (await count('select count(*)::int as n from inbox where consumer = $1', [group])) >= BACKLOG,
      300_000,
      200,
    );
    // Each write's transaction id, noted server-side (no extra round trip for the writer), for its commit timestamp.
    await sql(
      producer.test.primaryUrl,
      `create table bench_write_xids (id uuid primary key, xid xid not null);
       create function bench_note_xid() returns trigger language plpgsql as $$
         begin insert into bench_write_xids values (new.id, pg_current_xact_id()::xid); return null; end $$;
       create trigger bench_note_xid after insert on outbox for each row execute function bench_note_xid();`,
    );
    publisher.start();
    console.log(
      `\nEnd to end at ${[...SWEEP, RATE].join(', ')} events/s (steady; the other cases at ${RATE}) for ${SECONDS} s each, 2 consumer replicas, one process each, with the per-event handler unless the case says batch handler (rebalance and Kafka cases: batch handler); from each write's commit to its effect`,
    );
    console.log(
      '| case | events | p50 ms | p99 ms | max ms | of which commit -> published p50 / p99 ms | write transaction p50 / p99 ms | machine CPU busy | lost | applied twice | catch-up |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    /** Where the events are, for a run that did not finish: still in the outbox, or published and not applied. */
    const report = async (when: string) => {
      const [{ n: unpublished }] = await sql<{ n: number }>(
        producer.test.primaryUrl,
        'select count(*)::int as n from outbox where published_at is null',
      );
      const applied = await count('select count(*)::int as n from effects');
      const admin = await kafka.admin();
      const topic = kafka.topic(TOPICS.product);
      const ends = (await admin.fetchTopicOffsets(topic)).map((p) => `${p.partition}:${p.offset}`).join(' ');
      const committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0].partitions
        .map((p) => `${p.partition}:${p.offset}`)
        .join(' ');
      console.error(
        `${when}: ${unpublished} events still in the outbox, ${applied} applied; topic ends ${ends}; group committed ${committed}`,
      );
    };
    const phase = async (label: string, during: (elapsedMs: () => number) => Promise<string>, rate = RATE) => {
      if (!PHASES.some((name) => label.toLowerCase().startsWith(name))) return;
      await sql(sink.test.primaryUrl, 'truncate effects');
      const total = rate * SECONDS;
      const cpuAtStart = cpuTimes();
      const written: Promise<string>[] = [];
      const writeMs: number[] = [];
      const t0 = performance.now();
      const elapsed = () => performance.now() - t0;
      const load = (async () => {
        for (let i = 0; i < total; i++) {
          const wait = t0 + (i * 1000) / rate - performance.now();
          if (wait > 0) await sleep(wait);
          const began = performance.now();
          written.push(
            writeProductEvent(producer.db, outbox, keys[i % keys.length], i).then((id) => {
              writeMs.push(performance.now() - began);
              return id;
            }),
          );
        }
      })();
      const note = await during(elapsed);
      await load;
      const busy = busyPercent(cpuAtStart);
      const ids = await Promise.all(written);
      await eventually(
        async () => (await count('select count(*)::int as n from effects')) >= total,
        120_000,
        200,
      ).catch(() => report(`${label}: not every event applied after 120 s`));
      // Latencies start at each write's commit, as the server recorded it (track_commit_timestamp), not
      // when the client saw it: a busy writer must not shorten them. "Published" is the relay's commit
      // (the row marked sent after Kafka acknowledged), read from the row's current version.
      const times = await sql<{ id: string; commit_ms: number; published_ms: number | null }>(
        producer.test.primaryUrl,
        `select x.id::text, extract(epoch from pg_xact_commit_timestamp(x.xid)) * 1000 as commit_ms,
                extract(epoch from pg_xact_commit_timestamp(o.xmin)) * 1000 as published_ms
           from bench_write_xids x join outbox o on o.id = x.id where x.id = any($1::uuid[])`,
        [ids],
      );
      const committedAt = new Map(times.map((t) => [t.id, Number(t.commit_ms)]));
      const rows = await sql<{ event_id: string; applied_ms: number }>(
        sink.test.primaryUrl,
        'select event_id::text, applied_ms from effects',
      );
      const applied = new Set(rows.map((row) => row.event_id));
      const lost = ids.filter((id) => !applied.has(id)).length;
      const latencies = rows
        .map((row) => Number(row.applied_ms) - (committedAt.get(row.event_id) ?? NaN))
        .filter((ms) => !Number.isNaN(ms));
      const inOutbox = times
        .filter((t) => t.published_ms !== null)
        .map((t) => Number(t.published_ms) - Number(t.commit_ms));
      console.log(
        `| ${label} | ${rows.length} | ${pct(latencies, 0.5).toFixed(1)} | ${pct(latencies, 0.99).toFixed(1)} | ${Math.max(...latencies).toFixed(0)} | ${pct(inOutbox, 0.5).toFixed(1)} / ${pct(inOutbox, 0.99).toFixed(1)} | ${pct(writeMs, 0.5).toFixed(1)} / ${pct(writeMs, 0.99).toFixed(1)} | ${busy.toFixed(0)} % | ${lost} | ${rows.length - applied.size} | ${note} |`,
      );
    };
    for (const rate of SWEEP) await phase(`steady at ${rate}/s`, async () => '', rate);
    await phase(`steady at ${RATE}/s`, async () => '');
    // The same replicas' batch form: one effect insert per run of events instead of one per event.
    for (const replica of replicas) await stopReplica(replica);
    replicas = await startReplicas({ ...workerEnv, BATCH_HANDLER: '1' });
    await phase(`steady at ${RATE}/s, batch handler`, async () => '');
    // From here on the replicas use the batch handler.
    await phase('rebalance: one replica stopped at 1/3', async (elapsed) => {
      while (elapsed() < (SECONDS * 1000) / 3) await sleep(50);
      await stopReplica(replicas[1]);
      replicas = [replicas[0]];
      return 'the other replica takes its partitions';
    });
    await phase('Kafka down 5 s at 1/3', async (elapsed) => {
      while (elapsed() < (SECONDS * 1000) / 3) await sleep(50);
      await infra.controlAsync('stop', 'kafka');
      await sleep(5_000);
      await infra.controlAsync('start', 'kafka');
      const back = performance.now();
      const writtenSoFar = Math.min(RATE * SECONDS, Math.floor((elapsed() * RATE) / 1000));
      await eventually(
        async () => (await count('select count(*)::int as n from effects')) >= writtenSoFar,
        120_000,
        100,
      ).catch(async (error) => {
        await report('Kafka back');
        throw error;
      });
      return `${((performance.now() - back) / 1000).toFixed(1)} s from Kafka's return to every event written so far applied`;
    });
    await publisher.stop();
    for (const replica of replicas) await stopReplica(replica);
  } finally {
    // A run that failed half-way must not leave consumer processes behind.
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await kafka.onApplicationShutdown();
    await producer.close();
    await sink.close();
  }
}

runBenchmark(main);
