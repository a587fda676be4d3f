import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createApiClient } from '../index';

// The client's own behaviour against a stand-in server (the real services are called through it by the
// platform drills and checked against the documents by the contract tests).
describe('createApiClient', () => {
  let server: Server;
  let baseUrl: string;
  const seen: IncomingMessage[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request);
      if (request.url?.startsWith('/catalog/products/slow')) return void setTimeout(() => response.end('{}'), 2_000);
      if (request.url === '/catalog/products/7a0c2b36-3f33-4e4b-9c55-0d7b8a5b2a11') {
        response.writeHead(404, { 'content-type': 'application/problem+json' });
        return void response.end(JSON.stringify({ type: 'urn:problem:product.not_found', title: 'Not Found', status: 404, code: 'product.not_found' }));
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: 'u1', email: 'ada@example.com', displayName: 'Ada', roles: ['user'] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });

  afterAll(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });

  it('calls the documented path under the base URL with the bearer token, and types the answer', async () => {
    const api = createApiClient({ baseUrl, headers: { 'x-request-id': 'client-test' } }).withToken('token-1');
    const { data, error, response } = await api.auth.GET('/auth/me');
    expect(response.status).toBe(200);
    expect(error).toBeUndefined();
    expect(data?.roles).toEqual(['user']);
    const request = seen[seen.length - 1];
    expect(request.url).toBe('/auth/me');
    expect(request.headers.authorization).toBe('Bearer token-1');
    expect(request.headers['x-request-id']).toBe('client-test');
  });

  it('gives an error answer as a Problem (problem+json), not as data', async () => {
    const api = createApiClient({ baseUrl });
    const { data, error, response } = await api.catalog.GET('/catalog/products/{id}', { params: { path: { id: '7a0c2b36-3f33-4e4b-9c55-0d7b8a5b2a11' } } });
    expect(response.status).toBe(404);
    expect(data).toBeUndefined();
    expect(error).toMatchObject({ status: 404, code: 'product.not_found' });
    expect(seen[seen.length - 1].headers.authorization).toBeUndefined();
  });

  it('aborts a call that outlives timeoutMs', async () => {
    const api = createApiClient({ baseUrl, timeoutMs: 200 });
    await expect(api.catalog.GET('/catalog/products/{id}', { params: { path: { id: 'slow' } } })).rejects.toThrow(/abort|timeout/i);
  });

  it.each(['', 'catalog', '/relative', 'ftp://127.0.0.1/'])('refuses a base URL that is not absolute http(s): %p', (bad) => {
    expect(() => createApiClient({ baseUrl: bad })).toThrow(/baseUrl must be an absolute http\(s\) URL/);
  });
});
