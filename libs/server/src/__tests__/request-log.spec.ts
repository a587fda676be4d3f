import { Controller, Get, Logger, Module, NotFoundException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ObservabilityModule } from '@saas/observability';
import { inSpan, recordSpans } from '@saas/telemetry';
import { createService } from '../bootstrap';

@Controller()
class ThingsController {
  private readonly logger = new Logger('Things');

  @Get('things')
  things() {
    this.logger.warn('a thing is low');
    return { ok: true };
  }

  @Get('missing')
  missing() {
    throw new NotFoundException();
  }

  @Get('health/ready')
  ready() {
    return { status: 'ok' };
  }
}

/** Boots a real service (createService, as production) with its logger writing into `lines`. */
async function appLoggingAt(level: string, lines: Record<string, unknown>[]): Promise<NestFastifyApplication> {
  const destination = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
  @Module({
    imports: [ObservabilityModule.forRoot({ service: 'things', instance: 'things-0', logLevel: level, logDestination: destination })],
    controllers: [ThingsController],
  })
  class ThingsApp {}
  const app = await createService(ThingsApp, { name: 'things', port: 0, host: '127.0.0.1', bodyLimitBytes: 1024, shutdownDrainMs: 0, handleSignals: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

const requestLines = (lines: Record<string, unknown>[]) => lines.filter((line) => line.req);

describe('request logs a person can read', () => {
  it('logs one short line per request at info (no header dumps), probes and scrapes not at all', async () => {
    const lines: Record<string, unknown>[] = [];
    const app = await appLoggingAt('info', lines);
    try {
      const fastify = app.getHttpAdapter().getInstance();
      for (const url of ['/things/things', '/health/ready', '/metrics', '/things/missing']) await fastify.inject({ method: 'GET', url });
      const logged = requestLines(lines);
      expect(logged.map((line) => [(line.req as { url: string }).url, line.level, line.res])).toEqual([
        ['/things/things', 30, { statusCode: 200 }],
        ['/things/missing', 40, { statusCode: 404 }],
      ]);
      for (const line of logged) expect(JSON.stringify(line).length).toBeLessThan(400);
      expect(logged[0]).toMatchObject({ service: 'things', instance: 'things-0', req: { method: 'GET' }, msg: 'request completed' });
      expect(typeof logged[0].responseTime).toBe('number');
    } finally {
      await app.close();
    }
  });

  it("lines logged while serving a request carry the request's id; Nest's context names the logger", async () => {
    const lines: Record<string, unknown>[] = [];
    const app = await appLoggingAt('info', lines);
    try {
      await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/things/things', headers: { 'x-request-id': 'req-42' } });
      expect(lines.find((line) => line.msg === 'a thing is low')).toMatchObject({ level: 40, context: 'Things', reqId: 'req-42' });
      expect(requestLines(lines)[0]).toMatchObject({ req: { id: 'req-42' } });
    } finally {
      await app.close();
    }
  });

  it('shows probes and scrapes at debug', async () => {
    const lines: Record<string, unknown>[] = [];
    const app = await appLoggingAt('debug', lines);
    try {
      const fastify = app.getHttpAdapter().getInstance();
      for (const url of ['/health/ready', '/metrics']) await fastify.inject({ method: 'GET', url });
      expect(requestLines(lines).map((line) => [(line.req as { url: string }).url, line.level])).toEqual([
        ['/health/ready', 20],
        ['/metrics', 20],
      ]);
    } finally {
      await app.close();
    }
  });
});

describe('trace ids in log lines', () => {
  it('without tracing, lines carry no trace fields', async () => {
    const lines: Record<string, unknown>[] = [];
    const app = await appLoggingAt('info', lines);
    try {
      await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/things/things' });
      expect(requestLines(lines)[0]).not.toHaveProperty('trace_id');
    } finally {
      await app.close();
    }
  });

  it('with tracing on, lines carry the active trace_id and span_id (pino mixin: every line, the request line included)', async () => {
    const recorder = recordSpans();
    const lines: Record<string, unknown>[] = [];
    const app = await appLoggingAt('info', lines);
    try {
      const fastify = app.getHttpAdapter().getInstance();
      // The http instrumentation would open the request's span; here the test opens it around the request.
      await inSpan('GET /things', {}, async () => {
        await fastify.inject({ method: 'GET', url: '/things/things' });
      });
      const [span] = recorder.spans();
      const ids = { trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId };
      expect(requestLines(lines)[0]).toMatchObject(ids);
    } finally {
      await app.close();
      await recorder.stop();
    }
  });
});
