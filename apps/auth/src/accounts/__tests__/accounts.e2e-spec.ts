import { createHmac, randomUUID, type KeyObject } from 'node:crypto';
import { loadConfig } from '@saas/config';
import { migrate } from '@saas/platform';
import { bootService, createTestDatabase, freePort, serviceEnv, signingKeys, sql, uniqueName, type RunningService, type TestDatabase } from '@saas/testing';
import { SignJWT } from 'jose';
import { AppModule, authSpec } from '../../app.module';
import { authEnv } from '../../config';

interface Tokens {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string; roles: string[] };
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('auth service: stateless JWT, refresh rotation, abuse limits', () => {
  let db: TestDatabase;
  const replicas: RunningService[] = [];
  let keys: ReturnType<typeof signingKeys>;
  let issuer: string;
  const audience = 'saas-starter';

  async function bootReplica(signing: string, extra: Record<string, string> = {}): Promise<RunningService> {
    const port = await freePort();
    const config = loadConfig(
      authEnv,
      serviceEnv(db, {
        PORT: String(port),
        JWT_SIGNING_KEYS: signing,
        JWT_ISSUER: issuer,
        JWT_AUDIENCE: audience,
        JWKS_URL: `http://127.0.0.1:${port}/auth/.well-known/jwks.json`,
        RATE_LIMIT_LOGIN_PER_ACCOUNT: '3',
        AUTH_ADMIN_EMAILS: 'root@example.com',
        KAFKA_TOPIC_PREFIX: `${uniqueName('auth')}.`,
        ...extra,
      }),
    );
    const service = await bootService('auth', AppModule.register(config), { port, instanceId: `auth-${replicas.length}` });
    replicas.push(service);
    return service;
  }

  const call = (service: RunningService, method: string, path: string, body?: unknown, token?: string) =>
    fetch(`${service.url}/auth${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });

  const register = async (service: RunningService, email = `${uniqueName('u')}@example.com`) => {
    const response = await call(service, 'POST', '/register', { email, password: 'correct horse battery', displayName: 'Ada' });
    expect(response.status).toBe(201);
    return (await response.json()) as Tokens;
  };

  beforeAll(async () => {
    db = await createTestDatabase('auth');
    keys = signingKeys('key-a');
    issuer = 'http://127.0.0.1:8080/auth';
    const config = loadConfig(authEnv, serviceEnv(db, { JWT_SIGNING_KEYS: keys.json }));
    await migrate(authSpec, config);
    await bootReplica(keys.json);
    await bootReplica(keys.json);
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    await db?.drop();
  });

  it('registers, publishes the event through the outbox, and logs in', async () => {
    const email = `${uniqueName('ada')}@Example.com`;
    const tokens = await register(replicas[0], email);
    expect(tokens.user.email).toBe(email.toLowerCase());
    expect(tokens.user.roles).toEqual(['user']);
    const [row] = await sql<{ type: string; key: string }>(db.primaryUrl, 'select type, key from outbox where key = $1', [tokens.user.id]);
    expect(row).toEqual({ type: 'auth.user.registered.v1', key: tokens.user.id });
    const login = await call(replicas[1], 'POST', '/login', { email, password: 'correct horse battery' });
    expect(login.status).toBe(200);
    expect(((await login.json()) as Tokens).user.id).toBe(tokens.user.id);
    expect((await call(replicas[1], 'POST', '/register', { email, password: 'correct horse battery', displayName: 'x' })).status).toBe(409);
  });

  it('accepts a token issued by one replica on another (no server-side session)', async () => {
    const tokens = await register(replicas[0]);
    const me = await call(replicas[1], 'GET', '/me', undefined, tokens.accessToken);
    expect(me.status).toBe(200);
    expect(me.headers.get('x-served-by')).toBe('auth-1');
    expect(((await me.json()) as { id: string }).id).toBe(tokens.user.id);
  });

  it('gives the admin role to bootstrap admin emails only', async () => {
    expect((await register(replicas[0], 'root@example.com')).user.roles).toEqual(['user', 'admin']);
  });

  it('answers an unknown email and a wrong password identically (no enumeration)', async () => {
    const { user } = await register(replicas[0]);
    const unknown = await call(replicas[0], 'POST', '/login', { email: `${uniqueName('ghost')}@example.com`, password: 'whatever-password' });
    const wrong = await call(replicas[0], 'POST', '/login', { email: user.email, password: 'wrong-password-123' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const strip = (body: Record<string, unknown>) => ({ ...body, instance: undefined });
    expect(strip((await unknown.json()) as Record<string, unknown>)).toEqual(strip((await wrong.json()) as Record<string, unknown>));
  });

  describe('rejects forged and invalid access tokens with 401', () => {
    let victim: Tokens;
    const claims = () => ({ email: victim.user.email, roles: ['user', 'admin'] });
    const signWith = (key: KeyObject, kid: string, overrides: { iss?: string; aud?: string; exp?: number; iat?: number } = {}) =>
      new SignJWT(claims())
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(overrides.iss ?? issuer)
        .setAudience(overrides.aud ?? audience)
        .setSubject(victim.user.id)
        .setJti(randomUUID())
        .setIssuedAt(overrides.iat)
        .setExpirationTime(overrides.exp ?? Math.floor(Date.now() / 1000) + 300)
        .sign(key);
    const now = () => Math.floor(Date.now() / 1000);

    beforeAll(async () => {
      victim = await register(replicas[0]);
    });

    const rejected = async (token: string) => {
      const response = await call(replicas[1], 'GET', '/me', undefined, token);
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    };

    it('sanity: a token signed with the real key and claims is accepted', async () => {
      expect((await call(replicas[1], 'GET', '/me', undefined, await signWith(keys.keys['key-a'], 'key-a'))).status).toBe(200);
    });

    it('alg: none', async () => {
      const payload = { ...claims(), sub: victim.user.id, iss: issuer, aud: audience, jti: randomUUID(), exp: Math.floor(Date.now() / 1000) + 300 };
      await rejected(`${b64({ alg: 'none', typ: 'JWT', kid: 'key-a' })}.${b64(payload)}.`);
    });

    it('HS256 signed with the public key (algorithm confusion)', async () => {
      const jwks = (await (await call(replicas[0], 'GET', '/.well-known/jwks.json')).json()) as { keys: object[] };
      const { createPublicKey } = await import('node:crypto');
      const pem = createPublicKey({ key: jwks.keys[0] as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
      const payload = { ...claims(), sub: victim.user.id, iss: issuer, aud: audience, jti: randomUUID(), exp: Math.floor(Date.now() / 1000) + 300 };
      const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'key-a' })}.${b64(payload)}`;
      await rejected(`${head}.${createHmac('sha256', pem).update(head).digest('base64url')}`);
    });

    it('expired', async () => rejected(await signWith(keys.keys['key-a'], 'key-a', { exp: Math.floor(Date.now() / 1000) - 60 })));
    it('signed with the real key but living 100 years (lifetime over JWT_MAX_TOKEN_AGE_SECONDS)', async () =>
      rejected(await signWith(keys.keys['key-a'], 'key-a', { exp: now() + 100 * 365 * 24 * 3600 })));
    it('issued in the future', async () => rejected(await signWith(keys.keys['key-a'], 'key-a', { iat: now() + 600, exp: now() + 900 })));
    it('wrong issuer', async () => rejected(await signWith(keys.keys['key-a'], 'key-a', { iss: 'https://evil.example/auth' })));
    it('wrong audience', async () => rejected(await signWith(keys.keys['key-a'], 'key-a', { aud: 'another-app' })));

    it('tampered payload (roles escalated after signing)', async () => {
      const [head, , signature] = victim.accessToken.split('.');
      const payload = JSON.parse(Buffer.from(victim.accessToken.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
      await rejected(`${head}.${b64({ ...payload, roles: ['user', 'admin'] })}.${signature}`);
    });

    it('unknown kid (a key auth never published)', async () => {
      const stranger = signingKeys('stranger');
      await rejected(await signWith(stranger.keys.stranger, 'stranger'));
    });

    it('garbage and a missing header', async () => {
      await rejected('not.a.jwt');
      expect((await call(replicas[1], 'GET', '/me')).status).toBe(401);
    });
  });

  it('logout revokes the access token (jti deny-listed in Redis) and the session', async () => {
    const tokens = await register(replicas[0]);
    expect((await call(replicas[0], 'POST', '/logout', { refreshToken: tokens.refreshToken }, tokens.accessToken)).status).toBe(204);
    expect((await call(replicas[1], 'GET', '/me', undefined, tokens.accessToken)).status).toBe(401);
    expect((await call(replicas[1], 'POST', '/refresh', { refreshToken: tokens.refreshToken })).status).toBe(401);
  });

  it('rotates refresh tokens and kills the whole family when an old one is reused', async () => {
    const first = await register(replicas[0]);
    const rotated = await call(replicas[1], 'POST', '/refresh', { refreshToken: first.refreshToken });
    expect(rotated.status).toBe(200);
    const second = (await rotated.json()) as Tokens;
    expect(second.refreshToken).not.toBe(first.refreshToken);

    const reuse = await call(replicas[0], 'POST', '/refresh', { refreshToken: first.refreshToken });
    expect(reuse.status).toBe(401);
    expect(((await reuse.json()) as { detail: string }).detail).toContain('reused');
    // The thief's reuse also ends the legitimate holder's session: the newest token is dead too.
    const afterTheft = await call(replicas[1], 'POST', '/refresh', { refreshToken: second.refreshToken });
    expect(afterTheft.status).toBe(401);
    expect(((await afterTheft.json()) as { detail: string }).detail).toContain('revoked');
  });

  it('rotates signing keys: old tokens keep verifying, new tokens use the new key', async () => {
    const old = await register(replicas[0]);
    const rotatedKeys = signingKeys('key-b');
    const both = JSON.stringify([...JSON.parse(rotatedKeys.json), ...JSON.parse(keys.json)]);
    const next = await bootReplica(both);
    const jwks = (await (await call(next, 'GET', '/.well-known/jwks.json')).json()) as { keys: { kid: string; d?: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual(['key-b', 'key-a']);
    expect(jwks.keys.every((key) => key.d === undefined)).toBe(true);
    expect((await call(next, 'GET', '/me', undefined, old.accessToken)).status).toBe(200);
    const login = (await (await call(next, 'POST', '/login', { email: old.user.email, password: 'correct horse battery' })).json()) as Tokens;
    expect(JSON.parse(Buffer.from(login.accessToken.split('.')[0], 'base64url').toString()).kid).toBe('key-b');
    expect((await call(next, 'GET', '/me', undefined, login.accessToken)).status).toBe(200);
  });

  it.each([
    ['malformed email', { email: 'not-an-email', password: 'correct horse battery', displayName: 'A' }],
    ['short password', { email: 'a@example.com', password: 'short', displayName: 'A' }],
    ['huge password', { email: 'a@example.com', password: 'x'.repeat(129), displayName: 'A' }],
    ['unknown field', { email: 'a@example.com', password: 'correct horse battery', displayName: 'A', roles: ['admin'] }],
    ['missing field', { email: 'a@example.com' }],
  ])('rejects bad input on register (%s) with 400 problem+json', async (_label, body) => {
    const response = await call(replicas[0], 'POST', '/register', body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(((await response.json()) as { errors: string[] }).errors.length).toBeGreaterThan(0);
  });

  it('rejects an oversized body with 413 and malformed JSON with 400', async () => {
    expect((await call(replicas[0], 'POST', '/login', { email: 'a@example.com', password: 'x'.repeat(2_000_000) })).status).toBe(413);
    expect((await call(replicas[0], 'POST', '/login', '{"email":')).status).toBe(400);
    expect((await call(replicas[0], 'POST', '/refresh', { refreshToken: 'short' })).status).toBe(400);
  });

  it('rate-limits logins per account across replicas (the 4th attempt in the window gets 429)', async () => {
    const { user } = await register(replicas[0]);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const response = await call(replicas[attempt % 2], 'POST', '/login', { email: user.email, password: 'wrong-password-123' });
      statuses.push(response.status);
      if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});
