/**
 * Traces end to end: the four built services (dist/apps, as production runs them) export to the real Jaeger
 * binary (built from the Go module proxy, run with the chart's configuration file) on real Postgres, Redis
 * and Kafka. Found through Jaeger's query API: one trace that crosses auth's HTTP request and outbox, the
 * Kafka publish and profile's consumer; and a catalog product update whose event invalidated the cache.
 * Then the failure cases: no collector listening (the services serve, quietly) and a bad OTEL_* setting.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import {
  eventually,
  findTraces,
  getTrace,
  infra,
  parentOf,
  repoRoot,
  serviceOf,
  startJaeger,
  startStack,
  tag,
  type Jaeger,
  type JaegerSpan,
  type JaegerTrace,
  type Stack,
} from '@saas/testing';

const json = { 'content-type': 'application/json' };
const subjectOf = (accessToken: string) => JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()).sub as string;

async function register(authUrl: string, email = `trace-${randomUUID()}@example.test`) {
  // A client address of its own per call (a header; the traffic stays on loopback): register's per-IP rate limit.
  const client = { 'x-forwarded-for': `192.0.2.${Math.floor(Math.random() * 250) + 1}` };
  const response = await fetch(`${authUrl}/auth/register`, {
    method: 'POST',
    headers: { ...json, ...client },
    body: JSON.stringify({ email, password: 'correct horse battery staple', displayName: 'Traced' }),
  });
  const body = (await response.json()) as { accessToken: string };
  return { response, body, userId: response.ok ? subjectOf(body.accessToken) : undefined };
}

/** The span and the chain of its ancestors up to the trace's root. */
function ancestry(trace: JaegerTrace, span: JaegerSpan): JaegerSpan[] {
  const chain = [span];
  for (let parent = parentOf(span); parent; ) {
    const next = trace.spans.find((candidate) => candidate.spanID === parent);
    if (!next) break;
    chain.push(next);
    parent = parentOf(next);
  }
  return chain;
}

const named = (trace: JaegerTrace, service: string, operation: string | RegExp) =>
  trace.spans.filter(
    (span) => serviceOf(trace, span) === service && (typeof operation === 'string' ? span.operationName === operation : operation.test(span.operationName)),
  );

describe('traces in Jaeger (four built services, real infrastructure, the real Jaeger)', () => {
  let jaeger: Jaeger;
  let stack: Stack;
  const admin = `admin-${randomUUID()}@example.test`;

  beforeAll(async () => {
    jaeger = await startJaeger();
    stack = await startStack({
      name: 'trace',
      adminEmails: [admin],
      // Export within a fraction of a second instead of the default 5 s; info logs carry the request lines.
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint, OTEL_BSP_SCHEDULE_DELAY: '200', LOG_LEVEL: 'info' },
    });
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    await jaeger?.stop();
  }, 60_000);

  it('registering a user is one trace: auth HTTP -> outbox write -> Kafka publish -> profile consumer, and the log line names it', async () => {
    const { response, userId } = await register(stack.urls.auth);
    expect(response.status).toBe(201);
    const traceresponse = response.headers.get('traceresponse');
    expect(traceresponse).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const traceId = traceresponse!.split('-')[1];

    // Found the way a person would: profile's consumer spans for this user's event, by its subject.
    const trace = await eventually(async () => {
      const [found] = await findTraces(jaeger, {
        service: 'profile',
        operation: 'process auth.user.registered.v1',
        tags: JSON.stringify({ 'cloudevents.event_subject': userId }),
      });
      return found && named(found, 'profile', 'process auth.user.registered.v1').length ? found : undefined;
    }, 60_000, 500);
    expect(trace.traceID).toBe(traceId);

    const [request] = named(trace, 'auth', 'POST /auth/register');
    const [write] = named(trace, 'auth', 'outbox write auth.user.registered.v1');
    const [publish] = named(trace, 'auth', /^publish .*auth\.user\.v1$/);
    const [consume] = named(trace, 'profile', 'process auth.user.registered.v1');
    expect([request, write, publish, consume].every(Boolean)).toBe(true);
    expect(tag(request, 'span.kind')).toBe('server');
    expect(tag(request, 'http.route')).toBe('/auth/register');
    expect(tag(publish, 'span.kind')).toBe('producer');
    expect(tag(consume, 'span.kind')).toBe('consumer');
    expect(tag(consume, 'messaging.consumer.group.name')).toMatch(/profile/);
    expect(tag(consume, 'event.outcome')).toBe('applied');
    // kafkajs' instrumentation recorded the consumed batch; the consumer span links to it.
    expect(consume.references.some((reference) => reference.refType === 'FOLLOWS_FROM')).toBe(true);

    // One chain: consumer <- publish <- outbox write <- ... <- the request (the root).
    const chain = ancestry(trace, consume).map((span) => span.spanID);
    expect(chain.indexOf(publish.spanID)).toBe(1);
    expect(chain).toContain(write.spanID);
    expect(chain[chain.length - 1]).toBe(request.spanID);
    expect(parentOf(request)).toBeUndefined();

    // The database calls name their node: auth's insert on the primary, profile's effect too.
    const authQueries = trace.spans.filter((span) => serviceOf(trace, span) === 'auth' && tag(span, 'db.node'));
    expect(authQueries.length).toBeGreaterThan(0);
    expect(authQueries.every((span) => tag(span, 'db.node') === 'primary')).toBe(true);
    const profileQueries = trace.spans.filter((span) => serviceOf(trace, span) === 'profile' && tag(span, 'db.node'));
    expect(profileQueries.some((span) => ancestry(trace, span).includes(consume))).toBe(true);

    // The service reports itself with its instance, and its request log line carries the trace id.
    expect(trace.processes[request.processID].tags).toEqual(expect.arrayContaining([{ key: 'service.instance.id', type: 'string', value: 'auth-trace' }]));
    const line = stack
      .output('auth')
      .split('\n')
      .filter((text) => text.startsWith('{'))
      .map((text) => JSON.parse(text) as { req?: { url: string }; trace_id?: string; span_id?: string })
      .find((entry) => entry.trace_id === traceId && entry.req?.url === '/auth/register');
    expect(line).toBeDefined();
  });

  it('a product update by an admin: the trace shows the event invalidating the cache every catalog replica reads', async () => {
    const { body } = await register(stack.urls.auth, admin);
    const auth = { ...json, authorization: `Bearer ${body.accessToken}` };
    const created = await fetch(`${stack.urls.catalog}/catalog/products`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Traced lamp', priceCents: 2500 }) });
    expect(created.status).toBe(201);
    const product = (await created.json()) as { id: string };
    // Cache the product (a miss, then a hit), so the update has something to invalidate.
    for (const expected of ['miss', 'hit']) {
      await eventually(async () => {
        const read = await fetch(`${stack.urls.catalog}/catalog/products/${product.id}`);
        return read.ok && read.headers.get('x-cache') === expected;
      }, 10_000);
    }

    const updated = await fetch(`${stack.urls.catalog}/catalog/products/${product.id}`, { method: 'PATCH', headers: auth, body: JSON.stringify({ priceCents: 1999 }) });
    expect(updated.status).toBe(200);
    const traceId = updated.headers.get('traceresponse')!.split('-')[1];

    // Spans arrive in batches: wait until the consumer's handling and what it did are all there.
    const byConsumer = (found: JaegerTrace, consume: JaegerSpan) =>
      found.spans.filter((span) => span.operationName.startsWith('cache ') && ancestry(found, span).includes(consume)).map((span) => span.operationName);
    const trace = await eventually(async () => {
      const found = await getTrace(jaeger, traceId);
      const [consume] = found ? named(found, 'catalog', 'process catalog.product.updated.v1') : [];
      return consume && byConsumer(found!, consume).length >= 2 ? found : undefined;
    }, 60_000, 500);
    const [patch] = named(trace, 'catalog', 'PATCH /catalog/products/:id');
    const [consume] = named(trace, 'catalog', 'process catalog.product.updated.v1');
    expect(patch).toBeDefined();
    expect(tag(consume, 'messaging.consumer.group.name')).toMatch(/catalog-cache$/);
    expect(tag(consume, 'cloudevents.event_subject')).toBe(product.id);
    // The event's handler dropped the product's key and bumped the list generation, in the shared Redis.
    expect(byConsumer(trace, consume).sort()).toEqual(['cache bump product-lists', 'cache invalidate']);
    // The Redis commands that did it are in the trace too.
    const redis = trace.spans.filter((span) => tag(span, 'db.system.name') === 'redis' && ancestry(trace, span).includes(consume));
    expect(redis.map((span) => tag(span, 'db.query.text')).sort()).toEqual([`del catalog:product:${product.id}`, 'incr catalog:gen:product-lists']);

    // The next read misses (the shared cache was invalidated), on a replica, with the new price.
    const read = await fetch(`${stack.urls.catalog}/catalog/products/${product.id}`);
    expect(read.headers.get('x-cache')).toBe('miss');
    expect(((await read.json()) as { priceCents: number }).priceCents).toBe(1999);
    const readTrace = await eventually(() => getTrace(jaeger, read.headers.get('traceresponse')!.split('-')[1]), 30_000, 500);
    const [lookup] = named(readTrace, 'catalog', 'cache product');
    expect(tag(lookup, 'cache.result')).toBe('miss');
    const nodes = readTrace.spans.filter((span) => tag(span, 'db.node')).map((span) => tag(span, 'db.node'));
    expect(nodes).toContain('replica-1');
  });
});

describe('tracing failure cases', () => {
  it('collector unreachable: the service answers as usual and logs no error', async () => {
    // A port nobody listens on: every export fails (connection refused).
    const stack = await startStack({
      name: 'trace_down',
      services: ['auth'],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_BSP_SCHEDULE_DELAY: '100', LOG_LEVEL: 'info' },
    });
    try {
      for (let i = 0; i < 5; i++) {
        const { response } = await register(stack.urls.auth);
        expect(response.status).toBe(201);
        expect(response.headers.get('traceresponse')).toMatch(/^00-/);
      }
      // Several export attempts have failed by now.
      await new Promise((done) => setTimeout(done, 2_000));
      expect((await fetch(`${stack.urls.auth}/health/ready`)).status).toBe(200);
      const lines = stack
        .output('auth')
        .split('\n')
        .filter((text) => text.trim());
      const errors = lines.filter((text) => !text.startsWith('{') || (JSON.parse(text) as { level: number }).level >= 50);
      expect(errors).toEqual([]);
    } finally {
      await stack.stop();
    }
  }, 300_000);

  it('bad configuration: an OTEL_TRACES_SAMPLER_ARG that is not a ratio stops the service with one clear line', () => {
    const result = spawnSync(process.execPath, [resolve(repoRoot, 'dist/apps/auth/main.js')], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: process.env.PATH,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: 'half',
        // Everything else valid: the OTEL_* setting alone is the reason.
        PORT: '0',
        DATABASE_PRIMARY_URL: `${infra.primaryBase}/postgres`,
        REDIS_URL: infra.redisUrl,
        KAFKA_BROKERS: infra.kafkaBrokers,
        JWT_ISSUER: 'http://127.0.0.1:8080/auth',
        JWT_AUDIENCE: 'saas-starter',
        JWKS_URL: 'http://127.0.0.1:3001/auth/.well-known/jwks.json',
        JWT_SIGNING_KEYS: '[]',
      },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('Invalid configuration: OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, e.g. 0.25');
    expect(result.stdout).toBe('');
  });
});
