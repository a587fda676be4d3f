import { Logger } from '@nestjs/common';
import { ContractViolation, dlqTopic, fromKafkaMessage, type Envelope, type EventType } from '@saas/contracts';
import { DatabaseUnavailableError, type Database } from '@saas/data';
import { counter, gauge, histogram } from '@saas/observability';
import {
  activeSpanLink,
  addSpanEvent,
  contextFromTraceparent,
  inSpan,
  setSpanAttributes,
  SpanKind,
  tracingActive,
} from '@saas/telemetry';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import type { KafkaConnection } from './kafka.connection';
import { eventAttributes } from './outbox';

export type EventHandler<T extends EventType = EventType> = (event: Envelope<T>, em: EntityManager) => Promise<void>;
export type EventHandlers = { [T in EventType]?: EventHandler<T> };
/** Applies consecutive events of one type with one effect (e.g. one multi-row insert), in their order. */
export type EventBatchHandler<T extends EventType = EventType> = (events: Envelope<T>[], em: EntityManager) => Promise<void>;
export type EventBatchHandlers = { [T in EventType]?: EventBatchHandler<T> };

export interface ConsumerOptions {
  /** Consumer group; also the inbox key, so each group applies an event once. */
  group: string;
  /** Logical topic names (the connection adds the environment prefix). */
  topics: string[];
  handlers: EventHandlers;
  /**
   * Optional batch forms of some handlers: inside a batch transaction, consecutive new events of such a
   * type are applied by one call (one statement instead of one per event). Each needs its per-event
   * handler too: when a batch call fails, the run is applied again event by event, so the failing event
   * is found, retried and dead-lettered alone.
   */
  batchHandlers?: EventBatchHandlers;
  maxAttempts: number;
  /** First retry delay; doubles each attempt with full jitter. */
  retryBaseMs?: number;
  sessionTimeoutMs?: number;
  /**
   * Most events applied in one transaction (one inbox insert, one commit). Default 100; 1 gives each
   * event its own transaction, for handlers whose effect is slow to redo (a batch that fails is rolled
   * back and its events before the failing one are applied again).
   */
  maxBatchSize?: number;
  /**
   * Partitions whose batches are handled at the same time (kafkajs partitionsConsumedConcurrently),
   * each on its own database connection. Order holds per partition, so per key. Default 3 (the
   * topics' default partition count).
   */
  partitionsConcurrently?: number;
  /**
   * Fetch batching (kafkajs maxWaitTimeInMs / minBytes). The defaults (5 s, 1 byte) cost nothing idle: a
   * fetch waits at the broker until an event is there, then answers at once with what there is. A
   * high-rate consumer can let the broker gather more per round trip (the outbox bench: 10 ms / 64 KiB
   * halved the end-to-end p99 at 1,000 events/s on 2 cores), but then an idle consumer fetches every
   * `fetchMaxWaitMs`: 10 ms kept idle catalog pods busy enough that the HPA never scaled back down.
   */
  fetchMaxWaitMs?: number;
  fetchMinBytes?: number;
}

/** A message whose event is valid and has a handler: it can join a batch transaction. */
interface Handleable {
  message: KafkaMessage;
  event: Envelope;
  handler: EventHandler;
}

/** How one batch transaction ended: `failedAt` the event whose handler (or the run) failed; `batchFailed` a batch handler. */
interface TryResult {
  failedAt?: number;
  handlerError?: Error;
  batchFailed?: boolean;
}

/** What a batch transaction did: how many of its events committed, and whether a handler failed. */
interface RunResult {
  applied: number;
  handlerError?: Error;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An idempotent consumer: each event's effect and its inbox row commit in one primary transaction,
 * and the offset is committed only after that. Redelivery finds the inbox row and skips the effect.
 * Consecutive valid events of a fetched batch share one transaction (one multi-row inbox insert, one
 * commit; `maxBatchSize`), applied in offset order. When a handler fails inside it, the transaction
 * rolls back, the events before the failing one are applied again as a batch, and the failing one
 * continues alone with that attempt counted: retried with backoff, then sent to `<topic>.dlq` with
 * the reason and its original coordinates, and the partition moves on. Invalid events go to the DLQ
 * at once. With tracing on, each event gets its own transaction, so each CONSUMER span tells the
 * outcome of exactly one event's work.
 */
export class EventConsumer {
  private readonly logger: Logger;
  private consumer?: Consumer;
  private readonly handled = counter('events_consumed_total', 'Events consumed by outcome', ['group', 'type', 'outcome']);
  private readonly deadLettered = counter('events_dead_lettered_total', 'Events sent to a dead-letter topic', ['group', 'topic']);
  private readonly lag = gauge('kafka_consumer_lag', 'Messages behind the high watermark', ['group', 'topic', 'partition']);
  private readonly latency = histogram('event_handler_duration_seconds', 'Event handler latency (a batch handler call counts once)', ['group', 'type']);

  constructor(
    private readonly db: Database,
    private readonly kafka: KafkaConnection,
    readonly options: ConsumerOptions,
  ) {
    this.logger = new Logger(`Consumer:${options.group}`);
    for (const type of Object.keys(options.batchHandlers ?? {})) {
      if (!options.handlers[type as EventType]) {
        throw new Error(`the batch handler for ${type} needs a per-event handler too: failures are retried one event at a time`);
      }
    }
  }

  async start(): Promise<void> {
    const consumer = this.kafka.kafka.consumer({
      groupId: this.options.group,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 1_000,
      minBytes: this.options.fetchMinBytes ?? 1,
      maxWaitTimeInMs: this.options.fetchMaxWaitMs ?? 5_000,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: this.options.topics.map((topic) => this.kafka.topic(topic)), fromBeginning: true });
    await consumer.run({
      // Offsets are resolved only after the effect commits; committing them in batches is safe
      // because a redelivered event is recognised by the inbox.
      autoCommit: true,
      autoCommitThreshold: 100,
      autoCommitInterval: 1_000,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, this.options.partitionsConcurrently ?? 3),
      eachBatch: (payload) => this.eachBatch(payload),
    });
    this.logger.log(`consuming ${this.options.topics.join(', ')}`);
  }

  /** Stops fetching, lets the message in flight finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale } = payload;
    const { messages, topic, partition } = batch;
    const perTransaction = tracingActive() ? 1 : Math.max(1, this.options.maxBatchSize ?? 100);
    const acknowledge = async (message: KafkaMessage) => {
      resolveOffset(message.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
      const behind = Number(batch.highWatermark) - Number(message.offset) - 1;
      this.lag.set({ group: this.options.group, topic, partition: String(partition) }, Math.max(0, behind));
    };
    let next = 0;
    while (next < messages.length) {
      if (!isRunning() || isStale()) return;
      let spent: Error | undefined;
      const run = perTransaction > 1 ? this.handleableRun(messages, next, perTransaction) : [];
      let alone = run[0]; // messages[next], already parsed (if it can be handled)
      if (run.length > 1) {
        const result = await this.applyRun(run, heartbeat);
        for (const item of run.slice(0, result.applied)) await acknowledge(item.message);
        next += result.applied;
        if (result.applied === run.length) continue;
        alone = run[result.applied];
        spent = result.handlerError; // the first attempt of messages[next] was its handler's failure in the batch
      }
      const message = messages[next];
      const done = await this.traced(topic, partition, message, () => this.process(topic, partition, message, heartbeat, isRunning, alone, spent));
      if (!done) return; // stopping while the database is down: leave the offset for redelivery
      await acknowledge(message);
      next++;
    }
  }

  /** The valid, handled events from `from` on (at most `max`), up to the first one that is not. */
  private handleableRun(messages: KafkaMessage[], from: number, max: number): Handleable[] {
    const run: Handleable[] = [];
    for (let i = from; i < messages.length && run.length < max; i++) {
      let event: Envelope;
      try {
        event = fromKafkaMessage(messages[i]);
      } catch {
        break; // invalid: dead-lettered on its own, in its place
      }
      const handler = this.options.handlers[event.type] as EventHandler | undefined;
      if (!handler) break;
      run.push({ message: messages[i], event, handler });
    }
    return run;
  }

  /**
   * Applies `run` in one transaction. If a handler fails, the events before it are applied again in a
   * transaction of their own and the result says how many committed and which error stopped the run.
   */
  private async applyRun(run: Handleable[], heartbeat: () => Promise<void>): Promise<RunResult> {
    const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), 1_000);
    try {
      let attempt = await this.tryRun(run, true);
      // A batch call does not say which event broke it: apply the run again event by event to find out.
      if (attempt.batchFailed) attempt = await this.tryRun(run, false);
      if (attempt.failedAt === undefined) return { applied: run.length };
      if (attempt.failedAt === 0 || !attempt.handlerError) return { applied: 0, handlerError: attempt.handlerError };
      const prefix = await this.tryRun(run.slice(0, attempt.failedAt), false);
      // The prefix failing again (the database went away meanwhile): its first event goes on alone.
      if (prefix.failedAt !== undefined) return { applied: 0 };
      return { applied: attempt.failedAt, handlerError: attempt.handlerError };
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * One transaction over `run`: the inbox rows in one insert, then each new event's handler in order
   * (`batched`: consecutive new events with a batch handler in one call).
   */
  private async tryRun(run: Handleable[], batched: boolean): Promise<TryResult> {
    const group = this.options.group;
    let current: number | undefined;
    let handlerError: Error | undefined;
    let batchFailed = false;
    try {
      const outcomes = await this.db.write(async (em) => {
        const inserted: { event_id: string }[] = await em.query(
          `insert into inbox (consumer, event_id, event_type)
           select $1, id, type from unnest($2::uuid[], $3::text[]) as events(id, type)
           on conflict do nothing returning event_id`,
          [group, run.map((item) => item.event.id), run.map((item) => item.event.type)],
        );
        const fresh = new Set(inserted.map((row) => row.event_id.toLowerCase()));
        const applied: boolean[] = [];
        for (let index = 0; index < run.length; index++) {
          const item = run[index];
          // An id seen twice in one fetch is applied once: the first occurrence takes it from the set.
          if (!fresh.delete(item.event.id.toLowerCase())) {
            applied.push(false);
            continue;
          }
          const batchHandler = batched ? this.options.batchHandlers?.[item.event.type] : undefined;
          if (batchHandler) {
            const events = [item.event];
            while (index + 1 < run.length && run[index + 1].event.type === item.event.type && fresh.delete(run[index + 1].event.id.toLowerCase())) {
              events.push(run[++index].event);
            }
            const timer = this.latency.startTimer({ group, type: item.event.type });
            try {
              await (batchHandler as EventBatchHandler)(events, em);
            } catch (error) {
              batchFailed = true;
              throw error;
            } finally {
              timer();
            }
            applied.push(...events.map(() => true));
            continue;
          }
          current = index;
          const timer = this.latency.startTimer({ group, type: item.event.type });
          try {
            await item.handler(item.event, em);
          } catch (error) {
            handlerError = error as Error;
            throw error;
          } finally {
            timer();
          }
          current = undefined;
          applied.push(true);
        }
        return applied;
      });
      for (const [index, item] of run.entries()) {
        this.handled.inc({ group, type: item.event.type, outcome: outcomes[index] ? 'applied' : 'duplicate' });
      }
      return {};
    } catch (error) {
      if (batchFailed && !(error instanceof DatabaseUnavailableError)) {
        this.logger.warn(`a batch handler failed in a batch of ${run.length} (${(error as Error).message}); applying it event by event`);
        return { batchFailed: true };
      }
      if (handlerError && current !== undefined && !(error instanceof DatabaseUnavailableError)) {
        const { event } = run[current];
        this.logger.warn(`${event.type} ${event.id} failed in a batch of ${run.length}: ${handlerError.message}`);
        return { failedAt: current, handlerError };
      }
      this.logger.warn(`a batch of ${run.length} events failed (${(error as Error).message}); its first event goes on alone`);
      return { failedAt: 0 };
    }
  }

  /**
   * The CONSUMER span of one event's handling: a child of the publish span named by the message's
   * `traceparent` (so it joins the trace of the request that caused the event), linked to the batch's
   * receive span. Its attributes say what happened (applied, duplicate, dead-lettered...).
   */
  private traced(
    topic: string,
    partition: number,
    message: KafkaMessage,
    work: () => Promise<boolean>,
  ): Promise<boolean> {
    if (!tracingActive()) return work();
    const header = (name: string) => {
      const value = message.headers?.[name];
      return (Array.isArray(value) ? value[0] : value)?.toString();
    };
    const type = header('ce_type') ?? 'unknown';
    return inSpan(
      `process ${type}`,
      {
        kind: SpanKind.CONSUMER,
        parent: contextFromTraceparent(header('traceparent')),
        links: activeSpanLink(),
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.consumer.group.name': this.options.group,
          'messaging.kafka.offset': Number(message.offset),
          'messaging.message.id': header('ce_id') ?? '',
          ...eventAttributes(type, header('ce_subject') ?? ''),
        },
      },
      work,
    );
  }

  /**
   * Handles one event on its own, with retries. `prepared` is the message already parsed (by
   * handleableRun); `failedInBatch`, its handler's failure in a batch transaction (its first attempt).
   * Returns false only when the consumer is stopping before the event could be handled.
   */
  private async process(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
    prepared?: Handleable,
    failedInBatch?: Error,
  ): Promise<boolean> {
    const item = prepared ?? (await this.prepare(topic, partition, message));
    if (!item) return true;
    const { event, handler } = item;

    const base = this.options.retryBaseMs ?? 200;
    // A failure in a batch transaction was this event's first attempt.
    let attempt = failedInBatch ? 1 : 0;
    if (failedInBatch) {
      if (attempt >= this.options.maxAttempts) return this.giveUp(topic, partition, message, event, failedInBatch, attempt);
      await sleep(Math.random() * base * 2);
    }
    for (;;) {
      attempt++;
      const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), 1_000);
      const timer = this.latency.startTimer({ group: this.options.group, type: event.type });
      try {
        const applied = await this.db.write(async (em) => {
          const inserted: unknown[] = await em.query(
            'insert into inbox (consumer, event_id, event_type) values ($1, $2, $3) on conflict do nothing returning event_id',
            [this.options.group, event.id, event.type],
          );
          if (inserted.length === 0) return false;
          await handler(event, em);
          return true;
        });
        this.handled.inc({ group: this.options.group, type: event.type, outcome: applied ? 'applied' : 'duplicate' });
        setSpanAttributes({ 'event.outcome': applied ? 'applied' : 'duplicate', 'event.attempts': attempt });
        return true;
      } catch (error) {
        if (error instanceof DatabaseUnavailableError) {
          // Not the event's fault: wait for the database without spending attempts.
          attempt--;
          addSpanEvent('waiting for the database', { 'exception.message': (error as Error).message });
          if (!isRunning()) {
            setSpanAttributes({ 'event.outcome': 'interrupted' });
            return false;
          }
        } else if (attempt >= this.options.maxAttempts) {
          return this.giveUp(topic, partition, message, event, error as Error, attempt);
        } else {
          this.logger.warn(`${event.type} ${event.id} failed (attempt ${attempt}/${this.options.maxAttempts}): ${(error as Error).message}`);
          addSpanEvent('handler failed, retrying', {
            'event.attempt': attempt,
            'exception.message': (error as Error).message,
          });
        }
        await sleep(Math.random() * base * 2 ** Math.min(attempt, 8));
      } finally {
        timer();
        clearInterval(keepAlive);
      }
    }
  }

  /**
   * The message as an event with its handler; undefined when it needs no handling: invalid (sent to
   * the DLQ at once) or of a type this consumer ignores.
   */
  private async prepare(topic: string, partition: number, message: KafkaMessage): Promise<Handleable | undefined> {
    let event: Envelope;
    try {
      event = fromKafkaMessage(message);
    } catch (error) {
      if (!(error instanceof ContractViolation)) throw error;
      await this.deadLetter(topic, partition, message, error.message, 0);
      this.handled.inc({ group: this.options.group, type: error.type ?? 'unknown', outcome: 'invalid' });
      setSpanAttributes({ 'event.outcome': 'invalid' });
      return undefined;
    }
    const handler = this.options.handlers[event.type] as EventHandler | undefined;
    if (!handler) {
      this.handled.inc({ group: this.options.group, type: event.type, outcome: 'ignored' });
      setSpanAttributes({ 'event.outcome': 'ignored' });
      return undefined;
    }
    return { message, event, handler };
  }

  /** Attempts spent: the event goes to the DLQ and the partition moves on. */
  private async giveUp(topic: string, partition: number, message: KafkaMessage, event: Envelope, error: Error, attempts: number): Promise<true> {
    await this.deadLetter(topic, partition, message, error.message, attempts);
    this.handled.inc({ group: this.options.group, type: event.type, outcome: 'dead-lettered' });
    setSpanAttributes({ 'event.outcome': 'dead-lettered', 'event.attempts': attempts });
    return true;
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string, attempts: number) {
    this.logger.warn(`dead-lettering ${topic}[${partition}]@${message.offset}: ${reason}`);
    addSpanEvent('dead-lettered', {
      'messaging.destination.name': dlqTopic(topic),
      'exception.message': reason.slice(0, 1_000),
    });
    await this.kafka.producer.send({
      topic: dlqTopic(topic),
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            'dlq-reason': reason.slice(0, 1_000),
            'dlq-source-topic': topic,
            'dlq-source-partition': String(partition),
            'dlq-source-offset': message.offset,
            'dlq-consumer-group': this.options.group,
            'dlq-attempts': String(attempts),
            'dlq-failed-at': new Date().toISOString(),
          },
        },
      ],
    });
    this.deadLettered.inc({ group: this.options.group, topic });
  }
}
