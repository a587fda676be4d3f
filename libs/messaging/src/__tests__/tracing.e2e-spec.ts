import { TOPICS } from '@saas/contracts';
import { inSpan, recordSpans, SpanKind, type RecordedSpan } from '@saas/telemetry';
import { eventually } from '@saas/testing';
import { Outbox, type KafkaConnection } from '../index';
import { consumer, kafkaConnection, newKey, recordEffect, relay, serviceDatabase, uniquePrefix, writeProductEvent } from './messaging-fixtures';

type Db = Awaited<ReturnType<typeof serviceDatabase>>;

const idOf = (span: RecordedSpan) => span.spanContext().spanId;
const traceOf = (span: RecordedSpan) => span.spanContext().traceId;

/**
 * With a tracer provider (in memory, no instrumentations), a request that writes an event, the relay
 * that publishes it and the consumer that applies it form one trace: request -> outbox write ->
 * publish -> process, on real Postgres and Kafka.
 */
describe('outbox, relay and consumer spans on real Kafka and Postgres', () => {
  let producerDb: Db;
  let consumerDb: Db;
  let kafka: KafkaConnection;
  let outbox: Outbox;
  let recorder: ReturnType<typeof recordSpans>;
  const prefix = uniquePrefix();
  const topic = `${prefix}${TOPICS.product}`;

  beforeAll(async () => {
    recorder = recordSpans();
    producerDb = await serviceDatabase('trace_out');
    consumerDb = await serviceDatabase('trace_in');
    kafka = kafkaConnection(prefix);
    await kafka.connect();
    outbox = new Outbox('/catalog', prefix);
  });

  afterAll(async () => {
    await recorder?.stop();
    await kafka?.onApplicationShutdown();
    await producerDb?.close();
    await consumerDb?.close();
  });

  it('two requests published in one batch stay two traces: request -> outbox write -> publish -> process', async () => {
    const [first, second] = [newKey(), newKey()];
    // Two "requests", each writing one event; the relay then publishes both in one Kafka batch.
    for (const key of [first, second]) {
      await inSpan(`PATCH /catalog/products/${key}`, { kind: SpanKind.SERVER }, () => writeProductEvent(producerDb.db, outbox, key, 1));
    }
    expect(await relay(producerDb.db, kafka, producerDb.test.primaryUrl).drainOnce()).toBe(2);
    const sink = consumer(consumerDb.db, kafka, recordEffect);
    await sink.start();
    try {
      await eventually(async () => recorder.spans().filter((span) => span.name === 'process catalog.product.updated.v1').length >= 2, 30_000);
    } finally {
      await sink.stop();
    }

    const spans = recorder.spans();
    for (const key of [first, second]) {
      const request = spans.find((span) => span.name === `PATCH /catalog/products/${key}`)!;
      const inTrace = spans.filter((span) => traceOf(span) === traceOf(request));
      const write = inTrace.find((span) => span.name === 'outbox write catalog.product.updated.v1')!;
      const publish = inTrace.find((span) => span.name === `publish ${topic}`)!;
      const process = inTrace.find((span) => span.name === 'process catalog.product.updated.v1')!;
      expect(write.parentSpanContext?.spanId).toBe(idOf(request));
      expect(publish.parentSpanContext?.spanId).toBe(idOf(write));
      expect(process.parentSpanContext?.spanId).toBe(idOf(publish));
      expect(publish.kind).toBe(SpanKind.PRODUCER);
      expect(process.kind).toBe(SpanKind.CONSUMER);
      expect(publish.attributes).toMatchObject({ 'messaging.destination.name': topic, 'messaging.kafka.message.key': key, 'cloudevents.event_subject': key });
      expect(process.attributes).toMatchObject({
        'messaging.destination.name': topic,
        'cloudevents.event_type': 'catalog.product.updated.v1',
        'cloudevents.event_subject': key,
        'messaging.message.id': write.attributes['messaging.message.id'],
        'event.outcome': 'applied',
        'event.attempts': 1,
      });
    }
  });

  it('an event written outside any request (a seed, a job) gets a trace of its own, rooted at its outbox write', async () => {
    recorder.reset();
    const key = newKey();
    await writeProductEvent(producerDb.db, outbox, key, 1);
    await relay(producerDb.db, kafka, producerDb.test.primaryUrl).drainOnce();
    const sink = consumer(consumerDb.db, kafka, recordEffect);
    await sink.start();
    try {
      await eventually(
        async () => recorder.spans().some((span) => span.attributes['cloudevents.event_subject'] === key && span.name.startsWith('process')),
        30_000,
      );
    } finally {
      await sink.stop();
    }
    const spans = recorder.spans().filter((span) => span.attributes['cloudevents.event_subject'] === key);
    const write = spans.find((span) => span.name.startsWith('outbox write'))!;
    expect(write.parentSpanContext).toBeUndefined();
    expect(spans.map((span) => [span.name, traceOf(span)]).sort()).toEqual(
      [
        ['outbox write catalog.product.updated.v1', traceOf(write)],
        [`process catalog.product.updated.v1`, traceOf(write)],
        [`publish ${topic}`, traceOf(write)],
      ].sort(),
    );
  });

  it('a failing handler: each retry and the dead-lettering are events on the consumer span, with the outcome "dead-lettered"', async () => {
    recorder.reset();
    const key = newKey();
    await inSpan('PATCH poison', { kind: SpanKind.SERVER }, () => writeProductEvent(producerDb.db, outbox, key, 1));
    await relay(producerDb.db, kafka, producerDb.test.primaryUrl).drainOnce();
    // The group reads the topic from the start: only the poison key fails, the earlier events apply.
    const sink = consumer(consumerDb.db, kafka, {
      'catalog.product.updated.v1': async (event, em) => {
        if (event.subject === key) throw new Error('price service says no');
        await recordEffect['catalog.product.updated.v1']!(event, em);
      },
    });
    await sink.start();
    try {
      await eventually(async () => recorder.spans().some((span) => span.attributes['event.outcome'] === 'dead-lettered'), 30_000);
    } finally {
      await sink.stop();
    }
    const deadLettered = recorder.spans().filter((span) => span.attributes['event.outcome'] === 'dead-lettered');
    expect(deadLettered.map((span) => span.attributes['cloudevents.event_subject'])).toEqual([key]);
    const [process] = deadLettered;
    const request = recorder.spans().find((span) => span.name === 'PATCH poison')!;
    expect(traceOf(process)).toBe(traceOf(request));
    expect(process.attributes['event.attempts']).toBe(3);
    expect(process.events.map((event) => event.name)).toEqual(['handler failed, retrying', 'handler failed, retrying', 'dead-lettered']);
    expect(process.events[2].attributes).toMatchObject({ 'messaging.destination.name': `${topic}.dlq`, 'exception.message': 'price service says no' });
  });
});
