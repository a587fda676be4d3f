import { isProducerStateError, KafkaConnection } from '../kafka.connection';

// No broker listens on port 1: every connect fails fast (connection refused). The point is how many
// admin clients get created, not Kafka itself.
describe('KafkaConnection.admin()', () => {
  it('shares one in-flight connect between concurrent callers, and retries with a new client after a failure', async () => {
    const connection = new KafkaConnection({ brokers: ['127.0.0.1:1'], clientId: 'admin-test' });
    const created = jest.spyOn(connection.kafka, 'admin');
    const concurrent = await Promise.allSettled([connection.admin(), connection.admin(), connection.admin()]);
    expect(concurrent.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(created).toHaveBeenCalledTimes(1);
    await expect(connection.admin()).rejects.toThrow();
    expect(created).toHaveBeenCalledTimes(2);
    await connection.onApplicationShutdown();
  }, 30_000);
});

describe('KafkaConnection.recover()', () => {
  // kafkajs wraps the broker's protocol error (type) in retry errors (cause / originalError).
  const outOfOrder = Object.assign(new Error('The broker received an out of order sequence number'), { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
  const wrapped = Object.assign(new Error('retries exceeded'), { originalError: Object.assign(new Error('non-retriable'), { cause: outOfOrder }) });

  it('recognises producer-state errors however deeply kafkajs wraps them, and nothing else', () => {
    expect(isProducerStateError(outOfOrder)).toBe(true);
    expect(isProducerStateError(wrapped)).toBe(true);
    expect(isProducerStateError(Object.assign(new Error('x'), { type: 'UNKNOWN_PRODUCER_ID' }))).toBe(true);
    expect(isProducerStateError(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'))).toBe(false);
    expect(isProducerStateError(Object.assign(new Error('x'), { type: 'NOT_LEADER_FOR_PARTITION' }))).toBe(false);
    expect(isProducerStateError(undefined)).toBe(false);
  });

  it('replaces the producer after a producer-state error, and keeps it after any other error', async () => {
    const connection = new KafkaConnection({ brokers: ['127.0.0.1:1'], clientId: 'recover-test' });
    const first = connection.producer;
    expect(await connection.recover(new Error('Connection error: connect ECONNREFUSED'))).toBe(false);
    expect(connection.producer).toBe(first);
    expect(await connection.recover(wrapped)).toBe(true);
    expect(connection.producer).not.toBe(first);
    expect(connection.connected).toBe(false); // nothing listens on port 1
    await connection.onApplicationShutdown();
  }, 30_000);
});
