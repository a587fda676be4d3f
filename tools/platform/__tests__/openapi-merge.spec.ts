import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { repoRoot } from '@saas/testing';

type Document = { openapi: string; paths: Record<string, Record<string, { tags?: string[] }>>; components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> }; tags?: { name: string }[] };
const { mergeOpenApi } = createRequire(__filename)('../openapi-merge.cjs') as { mergeOpenApi: (documents: Record<string, unknown>) => Document };

/** The documents the services serve, as committed with the generated client (libs/api-client/openapi). */
const served = (service: string) => JSON.parse(readFileSync(resolve(repoRoot, `libs/api-client/openapi/${service}.json`), 'utf8')) as Document;
const SERVICES = ['auth', 'catalog', 'media', 'profile'];

describe('the merged API document (/docs)', () => {
  it('lists every path of every service, each shared schema once, tags by service', () => {
    const documents = Object.fromEntries(SERVICES.map((service) => [service, served(service)]));
    const merged = mergeOpenApi(documents);
    const paths = SERVICES.flatMap((service) => Object.keys(documents[service].paths));
    expect(Object.keys(merged.paths).sort()).toEqual(paths.sort());
    expect(merged.components?.schemas?.ProblemDetails).toEqual(documents.auth.components?.schemas?.ProblemDetails);
    expect(Object.keys(merged.components?.securitySchemes ?? {})).toEqual(['bearer']);
    expect(merged.paths['/profile/me'].get.tags).toEqual(['profile: profiles']);
    expect(merged.tags?.map((tag) => tag.name)).toContain('catalog: products');
  });

  it('renames a schema two services define differently, and points each service at its own', () => {
    const one = (service: string, field: string): Document => ({
      openapi: '3.0.0',
      paths: { [`/${service}/x`]: { get: { responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } } } } as never } },
      components: { schemas: { Thing: { type: 'object', properties: { [field]: { type: 'string' } } } } },
    });
    const merged = mergeOpenApi({ a: one('a', 'left'), b: one('b', 'right') });
    expect(Object.keys(merged.components?.schemas ?? {}).sort()).toEqual(['Thing', 'b.Thing']);
    expect(JSON.stringify(merged.paths['/b/x'])).toContain('#/components/schemas/b.Thing');
    expect(JSON.stringify(merged.paths['/a/x'])).toContain('#/components/schemas/Thing"');
  });

  it('refuses a path served by two services', () => {
    const document = served('catalog');
    expect(() => mergeOpenApi({ catalog: document, copy: document })).toThrow(/path \/catalog\/\S+ is also served by catalog/);
  });

  it.each([
    ['nothing', {}],
    ['a document without paths', { auth: { openapi: '3.0.0' } }],
    ['a Swagger 2 document', { auth: { swagger: '2.0', paths: {} } }],
    ['an error body instead of a document', { auth: { type: 'about:blank', status: 503 } }],
  ])('refuses %s', (_label, documents) => {
    expect(() => mergeOpenApi(documents)).toThrow(/no service documents|not an OpenAPI 3 document/);
  });
});
