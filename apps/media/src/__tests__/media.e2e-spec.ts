import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@saas/config';
import { migrate } from '@saas/platform';
import {
  bootService,
  createTestDatabase,
  eventually,
  serviceEnv,
  sql,
  startTestIssuer,
  uniqueName,
  type RunningService,
  type TestDatabase,
  type TestIssuer,
} from '@saas/testing';
import sharp from 'sharp';
import { AppModule, mediaSpec } from '../app.module';
import { mediaEnv } from '../config';
import { bigJpeg, smallPng, streamOversizedUpload, upload } from './upload-fixtures';

const LIMIT = 16 * 1024 * 1024;

/** GET with a raw path, so nothing normalises `..` before the server sees it. */
function rawGet(baseUrl: string, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    request({ host: url.hostname, port: url.port, path, method: 'GET' }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('media service: upload, thumbnails via Kafka, content, owner checks', () => {
  let db: TestDatabase;
  let issuer: TestIssuer;
  let service: RunningService;
  let storageDir: string;
  let alice: { userId: string; token: string };
  let bob: { userId: string; token: string };

  const api = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${service.url}/media${path}`, {
      ...init,
      headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.headers as Record<string, string> | undefined) },
    });
  const metadata = async (id: string, token = alice.token) => (await api(`/assets/${id}`, { token })).json() as Promise<Record<string, unknown>>;
  const originals = () => {
    try {
      return readdirSync(join(storageDir, 'originals'));
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase('media');
    issuer = await startTestIssuer();
    storageDir = mkdtempSync(join(tmpdir(), 'media-test-'));
    const config = loadConfig(
      mediaEnv,
      serviceEnv(db, {
        ...issuer.env,
        KAFKA_TOPIC_PREFIX: `${uniqueName('t')}.`,
        MEDIA_STORAGE_DIR: storageDir,
        MEDIA_MAX_UPLOAD_BYTES: String(LIMIT),
        MEDIA_PUBLIC_BASE_URL: 'https://cdn.example.com',
      }),
    );
    expect(await migrate(mediaSpec, config)).toContain('CreateAssets1764500000000');
    service = await bootService('media', AppModule.register(config));
    const [a, b] = [randomUUID(), randomUUID()];
    alice = { userId: a, token: await issuer.token({ sub: a }) };
    bob = { userId: b, token: await issuer.token({ sub: b }) };
  });

  afterAll(async () => {
    await service?.close();
    await issuer?.close();
    await db?.drop();
    if (storageDir) rmSync(storageDir, { recursive: true, force: true });
  });

  it('a 10 MB JPEG: 202 processing, then ready via Kafka with one set of variants; content is immutable with ETag/304', async () => {
    const jpeg = await bigJpeg(10 * 1024 * 1024);
    const response = await upload(service.url, alice.token, jpeg, 'holiday photo.jpg', 'image/jpeg');
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { id: string; status: string; contentType: string; bytes: number };
    expect(accepted).toMatchObject({ status: 'processing', contentType: 'image/jpeg', bytes: jpeg.length });
    expect(response.headers.get('location')).toBe(`/media/assets/${accepted.id}`);

    const ready = await eventually(async () => {
      const body = await metadata(accepted.id);
      return body.status === 'ready' ? body : undefined;
    }, 90_000, 250);
    expect(ready).toMatchObject({ width: 3600, height: 2400, originalFilename: 'holiday photo.jpg', failureReason: null });
    const variants = ready.variants as { name: string; width: number; height: number; url: string }[];
    expect(variants.map((variant) => [variant.name, variant.width, variant.height])).toEqual([
      ['thumb', 256, 256],
      ['medium', 1024, 683],
    ]);
    expect(readdirSync(join(storageDir, 'variants', accepted.id)).sort()).toEqual(['medium', 'thumb']);
    const events = await sql<{ type: string }>(db.primaryUrl, 'select type from outbox where key = $1 order by seq', [accepted.id]);
    expect(events.map((event) => event.type)).toEqual(['media.asset.uploaded.v1', 'media.asset.ready.v1']);

    // The public URLs endpoint (what catalog calls).
    const urls = await api(`/assets/${accepted.id}/urls`);
    expect(urls.status).toBe(200);
    expect(await urls.json()).toEqual({
      assetId: accepted.id,
      status: 'ready',
      variants: {
        thumb: { url: `https://cdn.example.com/media/assets/${accepted.id}/content/thumb`, width: 256, height: 256, contentType: 'image/webp' },
        medium: { url: `https://cdn.example.com/media/assets/${accepted.id}/content/medium`, width: 1024, height: 683, contentType: 'image/webp' },
      },
    });
    const missing = randomUUID();
    const batch = await api(`/urls?ids=${accepted.id},${missing}`);
    expect(await batch.json()).toMatchObject({ assets: [{ assetId: accepted.id, status: 'ready' }], missing: [missing] });

    const content = await api(`/assets/${accepted.id}/content/thumb`);
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toBe('image/webp');
    expect(content.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const etag = content.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const image = await sharp(Buffer.from(await content.arrayBuffer())).metadata();
    expect(image).toMatchObject({ format: 'webp', width: 256, height: 256 });

    const revalidated = await api(`/assets/${accepted.id}/content/thumb`, { headers: { 'if-none-match': `W/"nope", ${etag}` } });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get('etag')).toBe(etag);
    expect((await api(`/assets/${accepted.id}/content/thumb`, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
  }, 180_000);

  it('rejects a text file renamed .png with 415, whatever the client claims, and stores nothing', async () => {
    const before = originals();
    const response = await upload(service.url, alice.token, Buffer.from('just some text, not a picture\n'.repeat(100)), 'cat.png', 'image/png');
    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 415, code: 'media.unsupported_type' });
    expect(originals()).toEqual(before);
    expect(readdirSync(join(storageDir, 'tmp'))).toEqual([]);
  });

  it('rejects an oversized upload with 413 before reading it all (streamed, no Content-Length)', async () => {
    const before = originals();
    const total = 64 * 1024 * 1024;
    const result = await streamOversizedUpload(service.url, alice.token, total);
    expect(result.status).toBe(413);
    expect(result.contentType).toContain('application/problem+json');
    expect(result.sentBytes).toBeLessThan(total / 2);
    expect(originals()).toEqual(before);
    await eventually(async () => readdirSync(join(storageDir, 'tmp')).length === 0, 5_000);
  });

  it('rejects an upload whose Content-Length is over the limit at once, having read none of it', async () => {
    const url = new URL(service.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: url.hostname,
        port: url.port,
        path: '/media/assets',
        method: 'POST',
        headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(LIMIT * 2) },
      });
      req.on('response', (response) => {
        resolve(response.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write(Buffer.alloc(1024)); // 1 KB of the announced 32 MB, and never more
    });
    expect(status).toBe(413);
  });

  it('requires a token to upload (401)', async () => {
    expect((await upload(service.url, undefined, await smallPng(), 'a.png')).status).toBe(401);
  });

  it('rejects path-traversal and malformed ids (400/404), never serving a file', async () => {
    const id = randomUUID();
    for (const path of [
      '/media/assets/..%2F..%2F..%2Fetc%2Fpasswd',
      '/media/assets/..%2F..%2F..%2Fetc%2Fpasswd/content/thumb',
      `/media/assets/${id}/content/..%2F..%2F..%2Fetc%2Fpasswd`,
      `/media/assets/${id}/content/%2e%2e`,
      '/media/assets/../../../etc/passwd',
      `/media/assets/%2e%2e%2f%2e%2e%2foriginals/content/thumb`,
      '/media/urls?ids=../../etc/passwd',
    ]) {
      const response = await rawGet(service.url, path);
      expect({ path, status: response.status }).toEqual({ path, status: expect.any(Number) });
      expect([400, 401, 404]).toContain(response.status);
      expect(response.body).not.toContain('root:');
    }
    expect((await api('/assets/not-a-uuid/urls')).status).toBe(400);
    expect((await api(`/assets/${id}/content/original`)).status).toBe(400);
  });

  it("never upscales a small image; keeps another user's asset private and unmodifiable (403); the owner can delete it", async () => {
    const response = await upload(service.url, alice.token, await smallPng(), 'mine.png');
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const ready = await eventually(async () => {
      const body = await metadata(id);
      return body.status === 'ready' ? body : undefined;
    }, 60_000, 200);
    // A 64x48 original is never upscaled: both variants keep its size.
    const variants = ready.variants as { name: string; width: number; height: number }[];
    expect(variants.map((variant) => [variant.name, variant.width, variant.height]).sort()).toEqual([
      ['medium', 64, 48],
      ['thumb', 64, 48],
    ]);

    const peek = await api(`/assets/${id}`, { token: bob.token });
    expect(peek.status).toBe(403);
    expect(peek.headers.get('content-type')).toContain('application/problem+json');
    expect((await api(`/assets/${id}`, { method: 'DELETE', token: bob.token })).status).toBe(403);
    expect((await metadata(id)).status).toBe('ready');

    expect((await api(`/assets/${id}`, { method: 'DELETE', token: alice.token })).status).toBe(204);
    expect((await api(`/assets/${id}`, { token: alice.token })).status).toBe(404);
    expect((await api(`/assets/${id}/content/thumb`)).status).toBe(404);
    expect(originals()).not.toContain(id);
  });

  it('marks an undecodable image (right magic bytes, broken body) failed with a reason', async () => {
    const broken = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(4096, 0x42)]);
    const response = await upload(service.url, alice.token, broken, 'broken.jpg', 'image/jpeg');
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const failed = await eventually(async () => {
      const body = await metadata(id);
      return body.status === 'failed' ? body : undefined;
    }, 60_000, 200);
    expect(failed.failureReason).toMatch(/cannot decode|cannot make/);
    await eventually(async () => {
      const events = await sql<{ type: string }>(db.primaryUrl, 'select type from outbox where key = $1', [id]);
      return events.some((event) => event.type === 'media.asset.failed.v1');
    });
  });
});
