import { z } from 'zod';

/** Thrown when the environment does not satisfy a service's schema; the message names every bad setting. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const csv = (value: string) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

const postgresUrl = z
  .string()
  .url('must be a URL like postgres://user:pass@host:5432/db')
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must use the postgres:// scheme');

const hostPort = z.string().regex(/^[\w.-]+:\d{1,5}$/, 'must be host:port');

/** Settings every service shares: HTTP, identity of the replica, logging, shutdown. */
export const serverEnv = {
  // 0 asks the OS for a free port (tests).
  PORT: z.coerce.number().int().min(0).max(65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Name of this replica, sent back in `x-served-by` so load balancing can be seen. */
  INSTANCE_ID: z.string().min(1).max(128).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long readiness reports "down" before the server stops accepting, so balancers stop routing first. */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(1024 * 1024),
};

export const databaseEnv = {
  DATABASE_PRIMARY_URL: postgresUrl,
  /** Comma-separated replica URLs; empty means every read goes to the primary. */
  DATABASE_REPLICA_URLS: z
    .string()
    .default('')
    .transform(csv)
    .pipe(z.array(postgresUrl)),
  /** Replicas further behind than this are skipped for reads. */
  DATABASE_REPLICA_MAX_LAG_BYTES: z.coerce.number().int().min(0).default(16 * 1024 * 1024),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(1_500),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
};

export const redisEnv = {
  REDIS_URL: z
    .string()
    .url('must be a URL like redis://host:6379')
    .refine((value) => /^rediss?:\/\//.test(value), 'must use the redis:// or rediss:// scheme'),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(250),
};

export const kafkaEnv = {
  /** Comma-separated host:port list. */
  KAFKA_BROKERS: z
    .string()
    .min(1)
    .transform(csv)
    .pipe(z.array(hostPort).min(1, 'needs at least one broker')),
  KAFKA_CLIENT_ID: z.string().min(1).optional(),
  /** Prepended to every topic name so several environments can share one cluster (e.g. `staging.`). */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{0,40}$/, 'may only contain letters, digits, . _ -')
    .default(''),
  /** Used when the service creates its topics (and their .dlq twins) at start. */
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(3),
  KAFKA_TOPIC_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(10).default(1),
  /** Handler attempts before an event goes to the dead-letter topic. */
  KAFKA_CONSUMER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
  /** How long published outbox rows are kept (for inspection) before the relay deletes them. 0: at the next purge. */
  OUTBOX_RETENTION_SECONDS: z.coerce.number().int().min(0).max(30 * 24 * 3600).default(3600),
  /**
   * How long the inbox remembers an applied event. An event redelivered after its row is gone would be
   * applied again, so keep it at least as long as the topics keep events (Kafka's default: 7 days).
   */
  INBOX_RETENTION_SECONDS: z.coerce.number().int().min(3600, 'must be at least 3600 (an hour); keep it at least the topics\' retention').max(365 * 24 * 3600).default(7 * 24 * 3600),
};

export const jwtEnv = {
  JWT_ISSUER: z.string().url('must be the issuer URL, e.g. http://localhost:8080/auth'),
  JWT_AUDIENCE: z.string().min(1),
  JWKS_URL: z.string().url('must be the URL of the auth service JWKS'),
  /**
   * When Redis (the revocation list) is unreachable: true accepts tokens (availability; bounded by the
   * short access-token lifetime), false rejects every token (consistency). See README, "CAP choices".
   */
  AUTH_REVOCATION_FAIL_OPEN: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /**
   * The longest an access token may live, whatever its `exp` says: tokens whose lifetime (exp - iat)
   * exceeds it, that are older than it, or that claim to be issued in the future are refused. Bounds
   * what a leaked signing key can mint. Default: the largest ACCESS_TOKEN_TTL_SECONDS auth accepts.
   */
  JWT_MAX_TOKEN_AGE_SECONDS: z.coerce.number().int().min(30).max(24 * 3600).default(3600),
};

export type EnvShape = Record<string, z.ZodTypeAny>;

/**
 * Validates `env` against a service's schema. Every problem is listed on one line that names
 * the variable, so a misconfigured pod says exactly what to fix.
 */
export function loadConfig<S extends EnvShape>(shape: S, env: NodeJS.ProcessEnv = process.env) {
  const schema = z.object(shape);
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    // An empty string means "not set": `FOO=` in a manifest must not pass a required check.
    input[key] = value === '' ? undefined : value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(root)';
        const message = issue.code === 'invalid_type' && input[name] === undefined ? 'is required' : issue.message;
        return `${name} ${message}`;
      }),
    );
  }
  return result.data as z.infer<z.ZodObject<S>>;
}

/** Names of the variables a schema cannot do without (no default, not optional): one source of truth for the chart. */
export function requiredEnvNames(shape: EnvShape): string[] {
  return Object.entries(shape)
    .filter(([, type]) => !type.isOptional())
    .map(([name]) => name)
    .sort();
}

export function allEnvNames(shape: EnvShape): string[] {
  return Object.keys(shape).sort();
}
