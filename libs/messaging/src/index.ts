export { KafkaModule, KafkaReadiness } from './kafka.module';
export { KafkaConnection, type KafkaOptions } from './kafka.connection';
