import { randomBytes } from 'node:crypto';
import { metricsRegistry } from '@saas/observability';
import { RequestContext } from '@saas/server';
import { HttpClient, UpstreamFailure, type HttpClientOptions } from '../index';
import { TargetServer } from './target-server';

const clients: HttpClient[] = [];
const newClient = (target: TargetServer, options: Partial<HttpClientOptions> = {}) => {
  const client = new HttpClient({
    target: `t${randomBytes(3).toString('hex')}`,
    baseUrl: target.url,
    timeoutMs: 300,
    retries: 2,
    retryBaseMs: 10,
    ...options,
  });
  clients.push(client);
  return client;
};
const noImages = () => ({ urls: [] as string[] });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const timed = async <T>(work: () => Promise<T>) => {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
};
const metricLine = async (name: string, target: string) =>
  (await metricsRegistry.metrics()).split('\n').find((line) => line.startsWith(name) && line.includes(`target="${target}"`));

describe('HttpClient against a real local HTTP server', () => {
  const target = new TargetServer();

  // Node loads its fetch implementation on first use; keep that out of the timed assertions.
  beforeAll(async () => {
    await target.start();
    await (await fetch(target.url)).text();
  });

  beforeEach(async () => {
    target.mode = { kind: 'ok' };
    target.reset();
    if (!(await fetch(target.url).then(() => true, () => false))) await target.start();
    target.reset();
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await target.stop();
  });

  it('answers with the parsed body and propagates x-request-id and traceparent of the current request', async () => {
    const client = newClient(target);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const result = await RequestContext.run(() => {
      RequestContext.setTrace({ requestId: 'req-42', traceparent });
      return client.get<{ path: string }>('/media/assets/1/urls', { query: { size: 'thumb' } });
    });
    expect(result).toMatchObject({ degraded: false, status: 200, attempts: 1, body: { path: '/media/assets/1/urls?size=thumb' } });
    expect(target.lastHeaders['x-request-id']).toBe('req-42');
    expect(target.lastHeaders.traceparent).toBe(traceparent);
  });

  it('treats a 4xx as an answer: no retry, no breaker failure', async () => {
    const client = newClient(target, { breaker: { volumeThreshold: 1 } });
    const result = await client.get('/missing');
    expect(result).toMatchObject({ degraded: false, status: 404 });
    expect(target.hits).toBe(1);
    expect(client.state).toBe('closed');
  });

  it('retries idempotent calls with backoff, never POST', async () => {
    target.mode = { kind: 'fail', status: 503 };
    const client = newClient(target, { retries: 2, breaker: { volumeThreshold: 100 } });
    const get = await client.get('/x', { fallback: noImages });
    expect(get).toMatchObject({ degraded: true, reason: 'server-error', attempts: 3 });
    expect(target.hits).toBe(3);

    target.reset();
    await expect(client.request('/x', { method: 'POST', body: { a: 1 } })).rejects.toMatchObject({ reason: 'server-error', attempts: 1 });
    expect(target.hits).toBe(1);

    target.reset();
    await client.request('/x', { method: 'POST', idempotent: true, fallback: noImages });
    expect(target.hits).toBe(3);
  });

  it('target down: the declared fallback answers within the timeout budget', async () => {
    await target.stop();
    const client = newClient(target, { timeoutMs: 300, budgetMs: 600, breaker: { volumeThreshold: 100 } });
    const { value, ms } = await timed(() => client.get('/media/assets/1/urls', { fallback: noImages }));
    expect(value).toMatchObject({ degraded: true, reason: 'unavailable', body: { urls: [] }, attempts: 3 });
    expect(ms).toBeLessThan(600);
    // Without a fallback the failure is typed.
    await expect(client.get('/x')).rejects.toBeInstanceOf(UpstreamFailure);
  });

  it('opens after N failures, then fails fast without touching the network; a half-open probe closes it', async () => {
    target.mode = { kind: 'fail', status: 500 };
    const client = newClient(target, { retries: 0, breaker: { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 400 } });
    for (let i = 0; i < 4; i++) expect(await client.get('/x', { fallback: noImages })).toMatchObject({ reason: 'server-error' });
    expect(client.state).toBe('open');
    expect(await metricLine('http_client_breaker_state', client.target)).toMatch(/ 2$/);

    target.reset();
    const { value, ms } = await timed(async () => {
      const results = [];
      for (let i = 0; i < 20; i++) results.push(await client.get('/x', { fallback: noImages }));
      return results;
    });
    expect(value.every((result) => result.degraded && result.reason === 'circuit-open')).toBe(true);
    expect(target.hits).toBe(0);
    expect(ms).toBeLessThan(100);

    // The target recovers; after resetTimeout one probe goes through and closes the breaker.
    target.mode = { kind: 'ok' };
    await sleep(450);
    expect(client.state).toBe('half-open');
    expect(await metricLine('http_client_breaker_state', client.target)).toMatch(/ 1$/);
    expect(await client.get('/x', { fallback: noImages })).toMatchObject({ degraded: false, status: 200 });
    expect(target.hits).toBe(1);
    expect(client.state).toBe('closed');
    expect(await metricLine('http_client_breaker_state', client.target)).toMatch(/ 0$/);
  });

  it('a failed half-open probe opens the breaker again', async () => {
    await target.stop();
    const client = newClient(target, { retries: 0, breaker: { volumeThreshold: 2, resetTimeoutMs: 200 } });
    await client.get('/x', { fallback: noImages });
    await client.get('/x', { fallback: noImages });
    expect(client.state).toBe('open');
    await sleep(250);
    expect(client.state).toBe('half-open');
    expect(await client.get('/x', { fallback: noImages })).toMatchObject({ reason: 'unavailable' });
    expect(client.state).toBe('open');
  });

  it('slow target: the per-attempt timeout fires and the call stays within its budget', async () => {
    target.mode = { kind: 'slow', delayMs: 3_000 };
    const client = newClient(target, { timeoutMs: 150, budgetMs: 400, breaker: { volumeThreshold: 100 } });
    const { value, ms } = await timed(() => client.get('/slow', { fallback: noImages }));
    expect(value).toMatchObject({ degraded: true, reason: 'timeout' });
    expect(ms).toBeGreaterThanOrEqual(150);
    expect(ms).toBeLessThan(550);
    expect(await metricLine('http_client_request_duration_seconds_count', client.target)).toBeDefined();
  });

  it('slow target: concurrency is bounded, extra calls are refused at once instead of piling up', async () => {
    target.mode = { kind: 'slow', delayMs: 500 };
    const client = newClient(target, { timeoutMs: 1_000, retries: 0, maxConcurrent: 3, breaker: { volumeThreshold: 100 } });
    const { value, ms } = await timed(() => Promise.all(Array.from({ length: 12 }, () => client.get('/slow', { fallback: noImages }))));
    const refused = value.filter((result) => result.degraded && result.reason === 'bulkhead-full');
    const answered = value.filter((result) => !result.degraded);
    expect(answered).toHaveLength(3);
    expect(refused).toHaveLength(9);
    expect(target.peakInFlight).toBeLessThanOrEqual(3);
    expect(target.hits).toBe(3);
    expect(ms).toBeLessThan(900);
    expect(client.callsInFlight).toBe(0);
  });
});
