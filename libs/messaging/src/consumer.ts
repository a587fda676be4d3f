import { Logger } from '@nestjs/common';
import { ContractViolation, dlqTopic, fromKafkaMessage, type Envelope, type EventType } from '@saas/contracts';
import { DatabaseUnavailableError, type Database } from '@saas/data';
import { counter, gauge, histogram } from '@saas/observability';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import type { KafkaConnection } from './kafka.connection';

export type EventHandler<T extends EventType = EventType> = (event: Envelope<T>, em: EntityManager) => Promise<void>;
export type EventHandlers = { [T in EventType]?: EventHandler<T> };

export interface ConsumerOptions {
  /** Consumer group; also the inbox key, so each group applies an event once. */
  group: string;
  /** Logical topic names (the connection adds the environment prefix). */
  topics: string[];
  handlers: EventHandlers;
  maxAttempts: number;
  /** First retry delay; doubles each attempt with full jitter. */
  retryBaseMs?: number;
  sessionTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An idempotent consumer: each event's effect and its inbox row commit in one primary transaction,
 * and the offset is committed only after that. Redelivery finds the inbox row and skips the effect.
 * A failing handler is retried with backoff, then the event goes to `<topic>.dlq` with the reason and
 * its original coordinates, and the partition moves on. Invalid events go to the DLQ at once.
 */
export class EventConsumer {
  private readonly logger: Logger;
  private consumer?: Consumer;
  private readonly handled = counter('events_consumed_total', 'Events consumed by outcome', ['group', 'type', 'outcome']);
  private readonly deadLettered = counter('events_dead_lettered_total', 'Events sent to a dead-letter topic', ['group', 'topic']);
  private readonly lag = gauge('kafka_consumer_lag', 'Messages behind the high watermark', ['group', 'topic', 'partition']);
  private readonly latency = histogram('event_handler_duration_seconds', 'Event handler latency', ['group', 'type']);

  constructor(
    private readonly db: Database,
    private readonly kafka: KafkaConnection,
    readonly options: ConsumerOptions,
  ) {
    this.logger = new Logger(`Consumer:${options.group}`);
  }

  async start(): Promise<void> {
    const consumer = this.kafka.kafka.consumer({
      groupId: this.options.group,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 1_000,
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
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return;
      const done = await this.process(batch.topic, batch.partition, message, heartbeat, isRunning);
      if (!done) return; // stopping while the database is down: leave the offset for redelivery
      resolveOffset(message.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
      const behind = Number(batch.highWatermark) - Number(message.offset) - 1;
      this.lag.set({ group: this.options.group, topic: batch.topic, partition: String(batch.partition) }, Math.max(0, behind));
    }
  }

  /** Returns false only when the consumer is stopping before the event could be handled. */
  private async process(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<boolean> {
    let event: Envelope;
    try {
      event = fromKafkaMessage(message);
    } catch (error) {
      if (!(error instanceof ContractViolation)) throw error;
      await this.deadLetter(topic, partition, message, error.message, 0);
      this.handled.inc({ group: this.options.group, type: error.type ?? 'unknown', outcome: 'invalid' });
      return true;
    }
    const handler = this.options.handlers[event.type] as EventHandler | undefined;
    if (!handler) {
      this.handled.inc({ group: this.options.group, type: event.type, outcome: 'ignored' });
      return true;
    }

    const base = this.options.retryBaseMs ?? 200;
    let attempt = 0;
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
        return true;
      } catch (error) {
        if (error instanceof DatabaseUnavailableError) {
          // Not the event's fault: wait for the database without spending attempts.
          attempt--;
          if (!isRunning()) return false;
        } else if (attempt >= this.options.maxAttempts) {
          await this.deadLetter(topic, partition, message, (error as Error).message, attempt);
          this.handled.inc({ group: this.options.group, type: event.type, outcome: 'dead-lettered' });
          return true;
        } else {
          this.logger.warn(`${event.type} ${event.id} failed (attempt ${attempt}/${this.options.maxAttempts}): ${(error as Error).message}`);
        }
        await sleep(Math.random() * base * 2 ** Math.min(attempt, 8));
      } finally {
        timer();
        clearInterval(keepAlive);
      }
    }
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string, attempts: number) {
    this.logger.warn(`dead-lettering ${topic}[${partition}]@${message.offset}: ${reason}`);
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
