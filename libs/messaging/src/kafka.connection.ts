import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { dlqTopic } from '@saas/contracts';
import { Admin, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  /** Topics this service produces or consumes; created (with their .dlq twins) once connected. */
  topics?: string[];
  partitions?: number;
  replicationFactor?: number;
  /** Prepended to every topic name, so several environments (or test runs) can share one cluster. */
  topicPrefix?: string;
}

/**
 * Errors after which an idempotent producer can never send again: the broker lost track of its
 * sequence numbers or producer id (e.g. it restarted while a batch was in flight). Only a new producer
 * (a new producer id) gets past them.
 */
const PRODUCER_STATE_ERRORS = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

export function isProducerStateError(error: unknown): boolean {
  for (let cause = error as { type?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0; cause && depth < 5; depth++) {
    if (cause.type && PRODUCER_STATE_ERRORS.has(cause.type)) return true;
    cause = (cause.cause ?? cause.originalError) as typeof cause;
  }
  return false;
}

/**
 * The process's Kafka client and its one idempotent producer. Connecting happens in the background
 * with retries, so a service starts (and reports not-ready) while Kafka is down.
 */
@Injectable()
export class KafkaConnection implements OnModuleInit, OnApplicationShutdown {
  readonly kafka: Kafka;
  private current: Producer;
  private adminClient?: Promise<Admin>;
  private producerConnected = false;
  private connecting?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly logger = new Logger('Kafka');

  constructor(readonly options: KafkaOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: 1_000,
      requestTimeout: 5_000,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
      logLevel: logLevel.NOTHING,
    });
    this.current = this.createProducer();
  }

  /** The idempotent producer (replaced by `recover` after a producer-state error: read it per send). */
  get producer(): Producer {
    return this.current;
  }

  get connected(): boolean {
    return this.producerConnected;
  }

  /**
   * After a failed send: if the error left the idempotent producer unable to ever send again, replace
   * it with a new one (new producer id) and connect it. Events not marked sent are sent again by the
   * caller; a copy the old producer did get through is a duplicate the consumers' inbox drops.
   * Returns true when the producer was replaced.
   */
  async recover(error: unknown): Promise<boolean> {
    if (!isProducerStateError(error) || this.closed) return false;
    const broken = this.current;
    this.current = this.createProducer();
    this.producerConnected = false;
    this.logger.warn(`producer replaced after ${(error as Error).message}`);
    await broken.disconnect().catch(() => undefined);
    await this.settled();
    await this.connect();
    return true;
  }

  private createProducer(): Producer {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    // Events of a replaced producer no longer say anything about the connection.
    producer.on(producer.events.CONNECT, () => {
      if (producer === this.current) this.producerConnected = true;
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (producer === this.current) this.producerConnected = false;
    });
    return producer;
  }

  onModuleInit(): void {
    void this.connect();
  }

  connect(retryMs = 2_000): Promise<void> {
    this.connecting ??= this.producer
      .connect()
      .then(() => this.logger.log(`producer connected to ${this.options.brokers.join(',')}`))
      .then(() => this.ensureTopics())
      .catch((error: Error) => {
        this.logger.warn(`not reachable (${error.message}); retrying every ${retryMs} ms`);
        if (!this.closed) this.retryTimer = setTimeout(() => void this.connect(retryMs), retryMs);
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Resolves when the connect attempt in flight (if any) has finished, whatever its outcome. */
  async settled(): Promise<void> {
    await this.connecting;
  }

  /** The physical name of a logical topic (with the environment prefix). */
  topic(name: string): string {
    return `${this.options.topicPrefix ?? ''}${name}`;
  }

  /** Creates missing topics with explicit partitions and replication (auto-creation is off). */
  async ensureTopics(): Promise<void> {
    const topics = [...new Set((this.options.topics ?? []).flatMap((topic) => [this.topic(topic), dlqTopic(this.topic(topic))]))];
    if (topics.length === 0) return;
    const admin = await this.admin();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: this.options.partitions ?? 3,
        replicationFactor: this.options.replicationFactor ?? 1,
      })),
    });
    this.logger.log(`created topics ${missing.join(', ')}`);
  }

  /**
   * The one admin client. Concurrent callers share one in-flight connect, so a probe that gave up
   * waiting never leaves a second client behind; a failed connect is dropped and retried next call.
   */
  admin(): Promise<Admin> {
    this.adminClient ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        return admin;
      } catch (error) {
        this.adminClient = undefined;
        await admin.disconnect().catch(() => undefined);
        throw error;
      }
    })();
    return this.adminClient;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await Promise.allSettled([this.producer.disconnect(), this.adminClient?.then((admin) => admin.disconnect())]);
  }
}
