import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { JwksCache } from '../index';

const publicJwk = (kid: string) => ({ ...(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) as object), kid });

describe('JwksCache', () => {
  let server: Server;
  let url: string;
  let hits = 0;
  let keys: object[] = [publicJwk('a')];

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('fetches once and answers known kids from memory', async () => {
    const cache = new JwksCache(url, undefined, 60_000);
    expect(await cache.key('a')).toBeDefined();
    expect(await cache.key('a')).toBeDefined();
    expect(hits).toBe(1);
  });

  it('refetches on an unknown kid at most once per window (no JWKS hammering by forged kids)', async () => {
    hits = 0;
    const cache = new JwksCache(url, undefined, 60_000);
    await cache.key('a');
    for (let i = 0; i < 20; i++) expect(await cache.key(`forged-${i}`)).toBeUndefined();
    expect(hits).toBe(1);
  });

  it('picks up a rotated key once the window has passed', async () => {
    const cache = new JwksCache(url, undefined, 50);
    await cache.key('a');
    keys = [publicJwk('b'), ...keys];
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await cache.key('b')).toBeDefined();
    expect(await cache.key('a')).toBeDefined();
  });

  it('keeps verifying with cached keys while the issuer is unreachable', async () => {
    const cache = new JwksCache(url, undefined, 0);
    await cache.key('a');
    const down = new JwksCache('http://127.0.0.1:9/jwks.json', undefined, 0);
    expect(await down.key('a')).toBeUndefined(); // nothing cached, nothing to fall back to
    Object.assign(cache, { url: 'http://127.0.0.1:9/jwks.json' });
    await cache.refresh(); // the refetch fails...
    expect(await cache.key('a')).toBeDefined(); // ...and the cached key still verifies
    expect(cache.size).toBeGreaterThan(0);
  });
});
