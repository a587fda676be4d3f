import {
  DynamicModule,
  Global,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { Database } from '@saas/data';
import type { DependencyProbe, DependencyReport } from '@saas/server';
import { EventConsumer, type ConsumerOptions } from './consumer';
import { KafkaConnection, type KafkaOptions } from './kafka.connection';
import { Outbox } from './outbox';
import { OutboxRelay } from './relay';

export interface MessagingOptions extends KafkaOptions {
  /** CloudEvents `source` of this service's events, e.g. `/catalog`. */
  source: string;
  service: string;
  primaryUrl: string;
  consumerMaxAttempts: number;
  relay?: { enabled?: boolean; pollMs?: number; batchSize?: number; outboxRetentionSeconds?: number; inboxRetentionSeconds?: number };
}

/** Kafka down: writes still commit (the outbox keeps their events until Kafka is back), consumers wait. */
@Injectable()
export class KafkaProbe implements DependencyProbe {
  readonly key = 'kafka';

  constructor(private readonly kafka: KafkaConnection) {}

  async probe(): Promise<DependencyReport> {
    const effect = 'events wait in the outbox; consumers pause';
    // At boot the producer may still be connecting: wait for that attempt rather than report a false outage.
    if (!this.kafka.connected) await this.kafka.settled();
    if (!this.kafka.connected) return { state: 'down', details: { reason: 'producer not connected', effect } };
    try {
      const cluster = await (await this.kafka.admin()).describeCluster();
      return { state: 'up', details: { brokers: cluster.brokers.length } };
    } catch (error) {
      return { state: 'down', details: { reason: (error as Error).message, effect } };
    }
  }
}

/**
 * The service's consumers. Feature modules register handlers in their constructor or onModuleInit;
 * all start after bootstrap (retrying while Kafka is down) and stop before the database pools close.
 */
@Injectable()
export class EventConsumers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly consumers: EventConsumer[] = [];
  private readonly logger = new Logger('EventConsumers');
  private stopping = false;

  constructor(
    private readonly db: Database,
    private readonly kafka: KafkaConnection,
    private readonly options: MessagingOptions,
  ) {}

  register(options: Omit<ConsumerOptions, 'maxAttempts'> & { maxAttempts?: number }): EventConsumer {
    // A group (and its inbox key) gets the environment prefix like the topics, so environments sharing a
    // cluster never join each other's groups.
    const group = this.kafka.topic(options.group);
    const consumer = new EventConsumer(this.db, this.kafka, { maxAttempts: this.options.consumerMaxAttempts, ...options, group });
    this.consumers.push(consumer);
    return consumer;
  }

  onApplicationBootstrap(): void {
    for (const consumer of this.consumers) void this.startWithRetry(consumer);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.consumers.map((consumer) => consumer.stop()));
  }

  private async startWithRetry(consumer: EventConsumer): Promise<void> {
    while (!this.stopping) {
      try {
        await this.kafka.ensureTopics();
        await consumer.start();
        return;
      } catch (error) {
        this.logger.warn(`${consumer.options.group} cannot start yet (${(error as Error).message}); retrying`);
        await consumer.stop().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    }
  }
}

@Injectable()
class RelayLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(private readonly relay: OutboxRelay) {}

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.relay.stop();
  }
}

@Global()
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions): DynamicModule {
    const relayEnabled = options.relay?.enabled !== false;
    return {
      module: MessagingModule,
      providers: [
        { provide: KafkaConnection, useFactory: () => new KafkaConnection(options) },
        KafkaProbe,
        { provide: Outbox, useFactory: () => new Outbox(options.source, options.topicPrefix) },
        {
          provide: OutboxRelay,
          useFactory: (db: Database, kafka: KafkaConnection) =>
            new OutboxRelay(db, kafka, { service: options.service, primaryUrl: options.primaryUrl, ...options.relay }),
          inject: [Database, KafkaConnection],
        },
        {
          provide: EventConsumers,
          useFactory: (db: Database, kafka: KafkaConnection) => new EventConsumers(db, kafka, options),
          inject: [Database, KafkaConnection],
        },
        ...(relayEnabled ? [RelayLifecycle] : []),
      ],
      exports: [KafkaConnection, KafkaProbe, Outbox, OutboxRelay, EventConsumers],
    };
  }
}
