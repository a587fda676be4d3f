import type { DynamicModule, Type } from '@nestjs/common';
import { createTestDatabase, type TestDatabase } from './infra';
import { bootService, runMain, serviceEnv, type RunningService } from './service';

/**
 * The conventions every service shares (DESIGN.md), checked against real Postgres, Redis and Kafka:
 * health endpoints at the root, API and OpenAPI under the service prefix, replica and request-id
 * headers, problem+json errors, metrics, and a clear refusal to start with bad configuration.
 */
export function describeServiceConventions<C>(
  name: string,
  load: (env: Record<string, string>) => C,
  module: (config: C) => Type<unknown> | DynamicModule,
  extraEnv: Record<string, string> = {},
): void {
  describe(`${name} service conventions`, () => {
    let db: TestDatabase;
    let service: RunningService;

    beforeAll(async () => {
      db = await createTestDatabase(name);
      const config = load(serviceEnv(db, extraEnv));
      service = await bootService(name, module(config), { instanceId: `${name}-conventions` });
    });

    afterAll(async () => {
      await service?.close();
      await db?.drop();
    });

    it('answers liveness without touching dependencies', async () => {
      const response = await fetch(`${service.url}/health/live`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-served-by')).toBe(`${name}-conventions`);
    });

    it('is ready, and reports Postgres (primary, replicas), Redis and Kafka up', async () => {
      let body: { status?: string; dependencies?: Record<string, { state: string }> } = {};
      const allUp = () => Object.values(body.dependencies ?? {}).every((dependency) => dependency.state === 'up');
      for (let attempt = 0; attempt < 100 && !(body.status === 'ok' && allUp()); attempt++) {
        const response = await fetch(`${service.url}/health/ready`);
        body = (await response.json()) as typeof body;
        if (body.status !== 'ok' || !allUp()) await new Promise((r) => setTimeout(r, 200));
      }
      expect(body.status).toBe('ok');
      expect(Object.keys(body.dependencies ?? {})).toEqual(['kafka', 'postgres-primary', 'postgres-replicas', 'redis']);
      expect(allUp()).toBe(true);
    });

    it('propagates a sane x-request-id and replaces a hostile one', async () => {
      const kept = await fetch(`${service.url}/health/live`, { headers: { 'x-request-id': 'abc-123' } });
      expect(kept.headers.get('x-request-id')).toBe('abc-123');
      const replaced = await fetch(`${service.url}/health/live`, { headers: { 'x-request-id': 'bad id\u00e9<script>' } });
      expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it(`serves OpenAPI at /${name}/docs`, async () => {
      const response = await fetch(`${service.url}/${name}/docs/openapi.json`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { info: { title: string } }).info.title).toBe(`${name} service`);
    });

    it('exposes Prometheus metrics including HTTP latency', async () => {
      const text = await (await fetch(`${service.url}/metrics`)).text();
      expect(text).toContain('http_request_duration_seconds_bucket');
      expect(text).toContain(`service="${name}"`);
    });

    it('answers an unknown route with problem+json 404', async () => {
      const response = await fetch(`${service.url}/${name}/does-not-exist`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(((await response.json()) as { status: number }).status).toBe(404);
    });

    it('sends the security headers on every answer, errors included', async () => {
      for (const path of ['/health/live', `/${name}/does-not-exist`]) {
        const headers = (await fetch(`${service.url}${path}`)).headers;
        expect({
          path,
          nosniff: headers.get('x-content-type-options'),
          frames: headers.get('x-frame-options'),
          hsts: headers.get('strict-transport-security'),
          referrer: headers.get('referrer-policy'),
          poweredBy: headers.get('x-powered-by'),
        }).toEqual({ path, nosniff: 'nosniff', frames: 'SAMEORIGIN', hsts: expect.stringMatching(/^max-age=\d+/), referrer: 'no-referrer', poweredBy: null });
      }
    });

    it('answers a known path called with another method with problem+json 405 and Allow', async () => {
      for (const [method, path, allow] of [
        ['DELETE', `/${name}/docs/openapi.json`, 'GET, HEAD'],
        ['POST', '/health/ready', 'GET, HEAD'],
      ]) {
        const response = await fetch(`${service.url}${path}`, { method });
        expect({ method, path, status: response.status, allow: response.headers.get('allow') }).toEqual({ method, path, status: 405, allow });
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        expect(await response.json()).toMatchObject({ status: 405, code: 'http.method_not_allowed', allow: allow.split(', ') });
      }
    });

    it('refuses to start without a required setting, naming it', async () => {
      const env = serviceEnv(db, extraEnv);
      delete env.DATABASE_PRIMARY_URL;
      const result = await runMain(name, env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('DATABASE_PRIMARY_URL is required');
    });

    it('refuses to start with a malformed setting, naming it', async () => {
      const result = await runMain(name, serviceEnv(db, { ...extraEnv, REDIS_URL: 'localhost:6379', PORT: '99999' }));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/REDIS_URL .*redis:\/\//);
      expect(result.stderr).toMatch(/PORT /);
    });
  });
}
