import { Controller, Get, Module, Post } from '@nestjs/common';
import { loadConfig } from '@saas/config';
import { bootService, createTestDatabase, eventually, infra, serviceEnv, type RunningService, type TestDatabase } from '@saas/testing';
import { ShutdownState } from '@saas/server';
import { PlatformModule, platformEnv } from '../index';

@Controller('slow')
class SlowController {
  @Get()
  async slow() {
    await new Promise((resolve) => setTimeout(resolve, 800));
    return { done: true };
  }

  @Post('echo')
  echo() {
    return { ok: true };
  }
}

@Module({ controllers: [SlowController] })
class SlowModule {}

type DependencyStates = Record<string, { state: string; since: string; details?: { reason?: string } }>;

async function readiness(url: string) {
  const response = await fetch(`${url}/health/ready`);
  return { status: response.status, body: (await response.json()) as { status: string | number; reason?: string; dependencies: DependencyStates } };
}

async function dependencies(url: string) {
  return (await (await fetch(`${url}/health/dependencies`)).json()) as DependencyStates;
}

async function metric(url: string, pattern: RegExp) {
  return pattern.test(await (await fetch(`${url}/metrics`)).text());
}

describe('platform wiring against real dependencies', () => {
  let db: TestDatabase;
  let service: RunningService;

  beforeAll(async () => {
    db = await createTestDatabase('platform');
    const config = loadConfig(platformEnv, serviceEnv(db));
    service = await bootService('platform', {
      module: class PlatformTestApp {},
      imports: [PlatformModule.forRoot({ service: 'platform', description: '', entities: [], migrations: [], topics: [] }, config), SlowModule],
    });
    await eventually(async () => (await readiness(service.url)).status === 200, 20_000);
  });

  afterAll(async () => {
    await service?.close();
    await db?.drop();
  });

  it('stays ready with Redis down, reports it (state, since, gauge) while liveness stays 200, and recovers', async () => {
    infra.control('stop', 'redis');
    try {
      const down = await eventually(async () => {
        const states = await dependencies(service.url);
        return states.redis?.state === 'down' ? states : undefined;
      }, 10_000);
      expect(Date.parse(down.redis.since)).toBeGreaterThan(Date.now() - 15_000);
      expect(down.redis.details?.reason).toBeTruthy();
      expect(await metric(service.url, /dependency_state\{dependency="redis",state="down"[^}]*\} 1/)).toBe(true);
      const ready = await readiness(service.url);
      expect(ready.status).toBe(200);
      expect(ready.body.dependencies.redis.state).toBe('down');
      expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
    } finally {
      infra.control('start', 'redis');
    }
    await eventually(async () => (await dependencies(service.url)).redis?.state === 'up', 15_000);
  });

  it('stays ready with Kafka down, reports it within the probe budget, and recovers', async () => {
    infra.control('stop', 'kafka');
    try {
      const started = Date.now();
      await eventually(async () => (await dependencies(service.url)).kafka?.state === 'down', 10_000, 200);
      expect(Date.now() - started).toBeLessThan(10_000);
      // Probes keep running every second; readiness answers from memory and never waits for them.
      for (let i = 0; i < 5; i++) {
        const probeStarted = Date.now();
        expect((await readiness(service.url)).status).toBe(200);
        expect(Date.now() - probeStarted).toBeLessThan(500);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
    } finally {
      infra.control('start', 'kafka');
    }
    await eventually(async () => (await dependencies(service.url)).kafka?.state === 'up', 30_000, 500);
  });

  it('answers malformed JSON and oversized bodies with problem+json 4xx', async () => {
    const malformed = await fetch(`${service.url}/platform/slow/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"broken":',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/problem+json');

    const huge = await fetch(`${service.url}/platform/slow/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ blob: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
    expect(huge.headers.get('content-type')).toContain('application/problem+json');
  });

  it('fails readiness first when draining, then finishes in-flight requests on close', async () => {
    const inFlight = fetch(`${service.url}/platform/slow`).then(async (response) => ({
      status: response.status,
      body: await response.json(),
    }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    service.app.get(ShutdownState).startDraining();
    const draining = await readiness(service.url);
    expect(draining.status).toBe(503);
    expect(draining.body).toMatchObject({ status: 503, reason: 'draining: shutting down' });
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
    await service.app.close();
    expect(await inFlight).toEqual({ status: 200, body: { done: true } });
    await expect(fetch(`${service.url}/health/live`)).rejects.toThrow();
  });
});
