import { Controller, Get, Module, NotFoundException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { inSpan, recordSpans } from '@saas/telemetry';
import { ObservabilityModule } from '../index';

@Controller()
class ThingsController {
  @Get('things')
  things() {
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

/** Boots a real Nest + Fastify app with the request logger writing into `lines`. */
async function appLoggingAt(level: string, lines: Record<string, unknown>[]): Promise<NestFastifyApplication> {
  const destination = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
  @Module({
    imports: [ObservabilityModule.forRoot({ service: 'things', instance: 'things-0', logLevel: level, logDestination: destination })],
    controllers: [ThingsController],
  })
  class ThingsApp {}
  const app = await NestFactory.create<NestFastifyApplication>(ThingsApp, new FastifyAdapter(), { bufferLogs: true });
  app.useLogger(app.get(Logger));
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
      for (const url of ['/things', '/health/ready', '/metrics', '/missing']) await fastify.inject({ method: 'GET', url });
      const logged = requestLines(lines);
      expect(logged.map((line) => [(line.req as { url: string }).url, line.level, line.res])).toEqual([
        ['/things', 30, { statusCode: 200 }],
        ['/missing', 40, { statusCode: 404 }],
      ]);
      for (const line of logged) expect(JSON.stringify(line).length).toBeLessThan(400);
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
      await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/things' });
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
        await fastify.inject({ method: 'GET', url: '/things' });
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
