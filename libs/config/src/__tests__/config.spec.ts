import { z } from 'zod';
import { ConfigError, databaseEnv, kafkaEnv, loadConfig, requiredEnvNames, serverEnv } from '../index';

const shape = { ...serverEnv, ...databaseEnv, ...kafkaEnv };
const good = {
  PORT: '3002',
  DATABASE_PRIMARY_URL: 'postgres://u:p@127.0.0.1:5432/catalog',
  DATABASE_REPLICA_URLS: 'postgres://u:p@127.0.0.1:5433/catalog, postgres://u:p@127.0.0.1:5434/catalog',
  KAFKA_BROKERS: '127.0.0.1:9092',
};

describe('loadConfig', () => {
  it('parses and applies defaults', () => {
    const config = loadConfig(shape, good);
    expect(config.PORT).toBe(3002);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.DATABASE_REPLICA_URLS).toHaveLength(2);
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
  });

  it('names a missing required setting', () => {
    const { DATABASE_PRIMARY_URL: _omit, ...env } = good;
    expect(() => loadConfig(shape, env)).toThrow('DATABASE_PRIMARY_URL is required');
  });

  it('treats an empty value as missing', () => {
    expect(() => loadConfig(shape, { ...good, KAFKA_BROKERS: '' })).toThrow('KAFKA_BROKERS is required');
  });

  it('names each malformed setting', () => {
    try {
      loadConfig(shape, { ...good, PORT: 'eighty', DATABASE_PRIMARY_URL: 'mysql://x@y/z', KAFKA_BROKERS: 'nope' });
      throw new Error('expected ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toMatch(/PORT/);
      expect(message).toMatch(/DATABASE_PRIMARY_URL must use the postgres:\/\/ scheme/);
      expect(message).toMatch(/KAFKA_BROKERS.*host:port/);
    }
  });

  it('keeps the outbox an hour and the inbox a week by default, and refuses an inbox retention that would re-apply redelivered events', () => {
    const config = loadConfig(shape, good);
    expect(config.OUTBOX_RETENTION_SECONDS).toBe(3600);
    expect(config.INBOX_RETENTION_SECONDS).toBe(7 * 24 * 3600);
    expect(loadConfig(shape, { ...good, OUTBOX_RETENTION_SECONDS: '0' }).OUTBOX_RETENTION_SECONDS).toBe(0);
    expect(() => loadConfig(shape, { ...good, INBOX_RETENTION_SECONDS: '60' })).toThrow(/INBOX_RETENTION_SECONDS must be at least 3600/);
    expect(() => loadConfig(shape, { ...good, OUTBOX_RETENTION_SECONDS: '-1' })).toThrow(/OUTBOX_RETENTION_SECONDS/);
    expect(() => loadConfig(shape, { ...good, OUTBOX_RETENTION_SECONDS: 'an hour' })).toThrow(/OUTBOX_RETENTION_SECONDS/);
  });

  it('lists required names without defaults or optionals', () => {
    expect(requiredEnvNames({ A: z.string(), B: z.string().default('x'), C: z.string().optional() })).toEqual(['A']);
    expect(requiredEnvNames(shape)).toEqual(['DATABASE_PRIMARY_URL', 'KAFKA_BROKERS', 'PORT']);
  });
});
