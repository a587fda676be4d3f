import { randomBytes } from 'node:crypto';
import { inSpan, recordSpans } from '@saas/telemetry';
import { HttpClient, type HttpClientOptions } from '../index';
import { TargetServer } from './target-server';

const clients: HttpClient[] = [];
const newClient = (target: TargetServer, options: Partial<HttpClientOptions> = {}) => {
  const client = new HttpClient({ target: `t${randomBytes(3).toString('hex')}`, baseUrl: target.url, timeoutMs: 300, retryBaseMs: 5, ...options });
  clients.push(client);
  return client;
};
const noImages = () => ({ urls: [] as string[] });

describe('HttpClient spans (tracing on, real local HTTP server)', () => {
  const target = new TargetServer();
  let recorder: ReturnType<typeof recordSpans>;

  beforeAll(async () => {
    await target.start();
    await (await fetch(target.url)).text();
    recorder = recordSpans();
  });

  beforeEach(() => {
    target.mode = { kind: 'ok' };
    target.reset();
    recorder.reset();
  });

  afterAll(async () => {
    await recorder.stop();
    for (const client of clients) client.close();
    await target.stop();
  });

  const callSpans = (client: HttpClient) => recorder.spans().filter((span) => span.name.startsWith(`${client.target} `));

  it('one span per call, child of the caller, with the outcome and the attempts', async () => {
    const client = newClient(target);
    await inSpan('request', {}, () => client.get('/media/assets/1/urls'));
    const [call] = callSpans(client);
    const request = recorder.spans().find((span) => span.name === 'request')!;
    expect(call.name).toBe(`${client.target} GET`);
    expect(call.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(call.attributes).toMatchObject({ 'http_client.outcome': 'answered', 'http_client.attempts': 1, 'http.response.status_code': 200 });
    expect(call.status.code).not.toBe(2);
    expect(call.events).toEqual([]);
  });

  it('retries are span events; a fallback marks the call failed and says why', async () => {
    target.mode = { kind: 'fail', status: 503 };
    const client = newClient(target, { retries: 2, breaker: { volumeThreshold: 100 } });
    const result = await client.get('/x', { fallback: noImages });
    expect(result).toMatchObject({ degraded: true, attempts: 3 });
    const [call] = callSpans(client);
    expect(call.events.map((event) => event.name)).toEqual(['retry', 'retry', 'exception', 'fallback']);
    expect(call.events[0].attributes).toMatchObject({ 'http_client.attempt': 1, 'http_client.reason': 'server-error' });
    expect(call.attributes).toMatchObject({ 'http_client.outcome': 'server-error', 'http_client.attempts': 3 });
    expect(call.status.code).toBe(2); // ERROR
  });

  it('the breaker opening is an event on the call that opened it; later calls record the open state', async () => {
    target.mode = { kind: 'fail', status: 500 };
    const client = newClient(target, { retries: 0, breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 5_000 } });
    await client.get('/x', { fallback: noImages });
    await client.get('/x', { fallback: noImages });
    expect(client.state).toBe('open');
    await client.get('/x', { fallback: noImages });
    const [, second, third] = callSpans(client);
    expect(second.events.map((event) => event.name)).toContain('breaker open');
    expect(third.attributes).toMatchObject({ 'http_client.breaker': 'open', 'http_client.outcome': 'circuit-open' });
  });

  it('without a fallback the failure is recorded as the span exception and still thrown', async () => {
    target.mode = { kind: 'fail', status: 500 };
    const client = newClient(target, { retries: 0, breaker: { volumeThreshold: 100 } });
    await expect(client.get('/x')).rejects.toMatchObject({ reason: 'server-error' });
    const [call] = callSpans(client);
    expect(call.status.code).toBe(2);
    expect(call.events.some((event) => event.name === 'exception')).toBe(true);
  });
});
