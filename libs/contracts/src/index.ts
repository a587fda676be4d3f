export { EVENT_CATALOG, TOPICS, dlqTopic, isEventType, type EventType, type EventData } from './events';
export { createEvent, toKafkaMessage, fromKafkaMessage, ContractViolation, type Envelope } from './envelope';
