import type { IncomingMessage } from 'node:http';
import { counter, metricsRegistry, requestIdOf } from '../index';

const request = (header?: string) => ({ headers: header === undefined ? {} : { 'x-request-id': header } }) as IncomingMessage;

describe('requestIdOf', () => {
  it('keeps a sane caller id', () => {
    expect(requestIdOf(request('req-1.2:3'))).toBe('req-1.2:3');
  });

  it('replaces a missing, oversized or hostile id with a UUID and stores it back', () => {
    for (const header of [undefined, 'x'.repeat(200), 'a b', '<script>']) {
      const req = request(header);
      const id = requestIdOf(req);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(req.headers['x-request-id']).toBe(id);
    }
  });
});

describe('metric helpers', () => {
  it('reuse an existing metric instead of throwing on a second registration', async () => {
    const first = counter('test_reuse_total', 'a test counter');
    const second = counter('test_reuse_total', 'a test counter');
    expect(second).toBe(first);
    second.inc();
    expect(await metricsRegistry.getSingleMetricAsString('test_reuse_total')).toContain('test_reuse_total 1');
  });
});
