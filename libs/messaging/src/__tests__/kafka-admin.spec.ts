import { KafkaConnection } from '../kafka.connection';

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
