import { randomUUID } from 'node:crypto';
import { loadConfig } from '@saas/config';
import { createEvent, TOPICS, toKafkaMessage, type EventData } from '@saas/contracts';
import { KafkaConnection } from '@saas/messaging';
import { migrate } from '@saas/platform';
import {
  bootService,
  createTestDatabase,
  eventually,
  infra,
  serviceEnv,
  sql,
  startTestIssuer,
  uniqueName,
  type RunningService,
  type TestDatabase,
  type TestIssuer,
} from '@saas/testing';
import Redis from 'ioredis';
import { AppModule, profileSpec } from '../app.module';
import { profileEnv } from '../config';

describe('profile service on real Postgres, Redis and Kafka', () => {
  let db: TestDatabase;
  let issuer: TestIssuer;
  let service: RunningService;
  let kafka: KafkaConnection;
  let redis: Redis;
  const prefix = `${uniqueName('t')}.`;

  const api = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${service.url}/profile${path}`, {
      ...init,
      headers: {
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });

  const publishUserEvent = async <T extends 'auth.user.registered.v1' | 'auth.user.deleted.v1'>(type: T, data: EventData<T>, id?: string) => {
    const event = createEvent(type, { source: '/auth', subject: data.userId, data, id });
    await kafka.producer.send({ topic: kafka.topic(TOPICS.user), messages: [toKafkaMessage(event)] });
    return event;
  };

  const register = async (displayName = 'Ada', timeoutMs = 30_000) => {
    const userId = randomUUID();
    await publishUserEvent('auth.user.registered.v1', { userId, email: `${userId.slice(0, 8)}@example.com`, displayName });
    await eventually(async () => (await api(`/users/${userId}`)).status === 200, timeoutMs, 200);
    return { userId, token: await issuer.token({ sub: userId }) };
  };

  beforeAll(async () => {
    db = await createTestDatabase('profile');
    issuer = await startTestIssuer();
    const config = loadConfig(
      profileEnv,
      serviceEnv(db, { ...issuer.env, KAFKA_TOPIC_PREFIX: prefix, CACHE_NEGATIVE_TTL_SECONDS: '1' }),
    );
    expect(await migrate(profileSpec, config)).toContain('CreateProfiles1764400000000');
    service = await bootService('profile', AppModule.register(config));
    kafka = new KafkaConnection({
      brokers: [infra.kafkaBrokers],
      clientId: 'profile-test',
      topics: [TOPICS.user],
      topicPrefix: prefix,
      partitions: 3,
      replicationFactor: 1,
    });
    await kafka.connect();
    await kafka.ensureTopics();
    redis = new Redis(infra.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    // The consumer group's first join on a fresh broker can take a while (offsets topic creation).
    await register('warm-up', 90_000);
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    await kafka?.onApplicationShutdown();
    redis?.disconnect();
    await issuer?.close();
    await db?.drop();
  });

  it('creates the profile from auth.user.registered.v1 once, however often the event is delivered', async () => {
    const userId = randomUUID();
    const data = { userId, email: 'grace@example.com', displayName: 'Grace' };
    const event = await publishUserEvent('auth.user.registered.v1', data);
    await publishUserEvent('auth.user.registered.v1', data, event.id); // a redelivery of the same event
    const second = await publishUserEvent('auth.user.registered.v1', { ...data, displayName: 'Other' }); // a second event for the same user

    const response = await eventually(async () => {
      const answer = await api(`/users/${userId}`);
      return answer.status === 200 ? answer : undefined;
    }, 30_000, 200);
    expect(await response.json()).toMatchObject({ userId, displayName: 'Grace', bio: null, avatarAssetId: null });
    await eventually(async () => {
      const [row] = await sql<{ n: number }>(db.primaryUrl, 'select count(*)::int as n from inbox where event_id = any($1::uuid[])', [[event.id, second.id]]);
      return row.n === 2;
    }, 15_000);
    const [profiles] = await sql<{ n: number }>(db.primaryUrl, 'select count(*)::int as n from profiles where user_id = $1', [userId]);
    expect(profiles.n).toBe(1);
  });

  it('patch my profile: the public profile shows it, the event is in the outbox, the cache holds the new value', async () => {
    const { userId, token } = await register('Alan');
    const assetId = randomUUID();
    const patched = await api('/me', { method: 'PATCH', token, body: JSON.stringify({ displayName: '  Alan T.  ', bio: 'Computing', avatarAssetId: assetId }) });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('x-consistency-token')).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(await patched.json()).toMatchObject({ userId, displayName: 'Alan T.', bio: 'Computing', avatarAssetId: assetId });

    const consistency = { 'x-consistency-token': patched.headers.get('x-consistency-token')! };
    const mine = await api('/me', { token, headers: consistency });
    expect(await mine.json()).toMatchObject({ displayName: 'Alan T.' });
    const publicProfile = await api(`/users/${userId}`, { headers: consistency });
    expect(await publicProfile.json()).toMatchObject({ displayName: 'Alan T.', bio: 'Computing', avatarAssetId: assetId });
    // The token read went to the database (read-your-writes bypasses the cache); a plain read fills it.
    expect(await (await api(`/users/${userId}`)).json()).toMatchObject({ displayName: 'Alan T.' });
    expect(JSON.parse((await redis.get(`profile:public:${userId}`))!)).toMatchObject({ displayName: 'Alan T.' });

    const events = await sql<{ type: string; key: string }>(db.primaryUrl, 'select type, key from outbox where key = $1', [userId]);
    expect(events).toEqual([{ type: 'profile.profile.updated.v1', key: userId }]);

    // bio: null clears it
    const cleared = await api('/me', { method: 'PATCH', token, body: JSON.stringify({ bio: null }) });
    expect(await cleared.json()).toMatchObject({ displayName: 'Alan T.', bio: null });
  });

  it('rejects bad input with 400 problem+json', async () => {
    const { token } = await register('Barbara');
    const cases = [
      { displayName: '' },
      { displayName: 'x'.repeat(81) },
      { displayName: null },
      { bio: 'b'.repeat(501) },
      { avatarAssetId: '../../etc/passwd' },
      { role: 'admin' },
      {},
    ];
    for (const body of cases) {
      const response = await api('/me', { method: 'PATCH', token, body: JSON.stringify(body) });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await api('/users/not-a-uuid')).status).toBe(400);
  });

  it("cannot patch another user's profile (403), cannot patch without a token (401); an admin can", async () => {
    const alice = await register('Alice');
    const mallory = await register('Mallory');
    const forbidden = await api(`/users/${alice.userId}`, { method: 'PATCH', token: mallory.token, body: JSON.stringify({ displayName: 'pwned' }) });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('content-type')).toContain('application/problem+json');
    expect((await api('/me', { method: 'PATCH', body: JSON.stringify({ displayName: 'anon' }) })).status).toBe(401);
    expect(await (await api(`/users/${alice.userId}`)).json()).toMatchObject({ displayName: 'Alice' });

    const admin = await issuer.token({ sub: randomUUID(), roles: ['admin'] });
    const moderated = await api(`/users/${alice.userId}`, { method: 'PATCH', token: admin, body: JSON.stringify({ bio: 'moderated' }) });
    expect(moderated.status).toBe(200);
  });

  it('removes the profile on auth.user.deleted.v1 (and the cached copy)', async () => {
    const { userId, token } = await register('Temp');
    expect((await api('/me', { token })).status).toBe(200);
    await publishUserEvent('auth.user.deleted.v1', { userId });
    await eventually(async () => (await api(`/users/${userId}`)).status === 404, 30_000, 200);
    expect((await api('/me', { token })).status).toBe(404);
  });

  it('answers 404 for an unknown user and caches the miss briefly', async () => {
    const userId = randomUUID();
    const response = await api(`/users/${userId}`);
    expect(response.status).toBe(404);
    expect(await redis.get(`profile:public:${userId}`)).toBe('\u0000missing');
  });

  it('serves public profiles from the database while Redis is down', async () => {
    const { userId } = await register('Resilient');
    infra.control('stop', 'redis');
    try {
      const started = Date.now();
      const response = await api(`/users/${userId}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ displayName: 'Resilient' });
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      infra.control('start', 'redis');
    }
  });
});
