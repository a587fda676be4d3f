export { MessagingModule, KafkaProbe, EventConsumers, type MessagingOptions } from './messaging.module';
export { KafkaConnection, type KafkaOptions } from './kafka.connection';
export { Outbox } from './outbox';
export { OutboxRelay } from './relay';
export { EventConsumer, type ConsumerOptions, type EventBatchHandler, type EventBatchHandlers, type EventHandler, type EventHandlers } from './consumer';
export { CreateOutboxAndInbox1764300000000, MESSAGING_MIGRATIONS, OutboxInboxRetention1796600000000 } from './migrations';
