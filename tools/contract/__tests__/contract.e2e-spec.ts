import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { infra } from '@saas/testing';
import { installSchemathesis, runSchemathesis, summary, type Run, type RunOptions } from './schemathesis';
import { SERVICES, startStack, type ServiceName, type Stack } from '../stack';

// The OpenAPI documents are the contract: schemathesis (pinned, from PyPI) generates requests from each
// service's document and checks every answer against it — status codes, content types, headers, bodies,
// that invalid requests are refused and valid ones accepted, 405 for undeclared methods, auth, and the
// stateful phase (create, then read, change and delete what was created). Fixed seed: a failure reproduces.
// CONTRACT_SEED and CONTRACT_MAX_EXAMPLES change them (e.g. a deeper run: CONTRACT_MAX_EXAMPLES=200).

const SEED = Number(process.env.CONTRACT_SEED ?? 17);
const MAX_EXAMPLES = Number(process.env.CONTRACT_MAX_EXAMPLES ?? 50);
const PASSWORD = `contract-${randomBytes(8).toString('hex')}`;
const adminEmail = (service: ServiceName) => `contract-admin-${service}@example.com`;

/** user for every service; admin too where admins may do more (catalog writes, others' assets and profiles). */
const RUNS: [ServiceName, 'user' | 'admin'][] = [
  ['auth', 'user'],
  ['catalog', 'user'],
  ['catalog', 'admin'],
  ['media', 'user'],
  ['media', 'admin'],
  ['profile', 'user'],
  ['profile', 'admin'],
];

type OpenApi = {
  paths: Record<string, Record<string, { security?: unknown[]; requestBody?: { content: Record<string, { schema: { $ref?: string } }> }; responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }>>;
  components: { schemas: Record<string, { additionalProperties?: unknown; minProperties?: number; properties?: object }> };
};

describe('the OpenAPI documents are the contract', () => {
  let stack: Stack;
  let executable: string;
  const documents = {} as Record<ServiceName, OpenApi>;
  const runs: string[] = [];

  const options = (service: ServiceName, role: 'user' | 'admin', extra: Partial<RunOptions> = {}): RunOptions => ({
    executable,
    schema: `${stack.urls[service]}/${service}/docs/openapi.json`,
    baseUrl: stack.urls[service],
    authUrl: stack.urls.auth,
    role,
    adminEmail: adminEmail(service),
    password: PASSWORD,
    seed: SEED,
    maxExamples: MAX_EXAMPLES,
    name: `${service}-${role}`,
    timeoutMs: 150_000,
    ...extra,
  });

  beforeAll(async () => {
    [executable, stack] = await Promise.all([
      installSchemathesis(),
      startStack({
        adminEmails: SERVICES.map(adminEmail),
        // A Redis database of its own: the fuzzer's rate-limit counters, revocations and cache entries
        // never meet those of other stacks on the shared Redis.
        env: { REDIS_URL: `${infra.redisUrl}/11` },
      }),
    ]);
    for (const service of SERVICES) {
      documents[service] = (await (await fetch(`${stack.urls[service]}/${service}/docs/openapi.json`)).json()) as OpenApi;
    }
  }, 600_000);

  afterAll(async () => {
    await stack?.stop();
    if (runs.length) process.stdout.write(`\ncontract runs (seed ${SEED}, max ${MAX_EXAMPLES} examples per operation):\n  ${runs.join('\n  ')}\n`);
  });

  describe('each document', () => {
    it.each(SERVICES)('%s: every error is the shared problem+json schema, every secured operation documents 401, every DTO is closed', (service) => {
      const document = documents[service];
      expect(document.components.schemas.ProblemDetails).toBeDefined();
      const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ label: `${method.toUpperCase()} ${path}`, operation })));
      expect(operations.length).toBeGreaterThan(0);
      for (const { label, operation } of operations) {
        const statuses = Object.keys(operation.responses);
        expect([label, statuses.some((status) => status.startsWith('2'))]).toEqual([label, true]);
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) continue;
          expect([label, status, Object.keys(response.content ?? {})]).toEqual([label, status, ['application/problem+json']]);
          expect(response.content!['application/problem+json'].schema.$ref).toBe('#/components/schemas/ProblemDetails');
        }
        if (operation.security?.length) expect([label, statuses.includes('401')]).toEqual([label, true]);
        const body = operation.requestBody?.content['application/json']?.schema.$ref;
        if (body) {
          const schema = document.components.schemas[body.split('/').pop()!];
          expect([label, schema.additionalProperties]).toEqual([label, false]);
          expect([label, statuses.includes('400'), statuses.includes('415')]).toEqual([label, true, true]);
        }
      }
    });

    it('says partial updates need at least one field (minProperties), and the services refuse PATCH {} with 400', async () => {
      expect(documents.catalog.components.schemas.UpdateProductDto.minProperties).toBe(1);
      expect(documents.profile.components.schemas.UpdateProfileDto.minProperties).toBe(1);
      const user = await register(stack, `contract-patch-${randomBytes(4).toString('hex')}@example.com`);
      const response = await fetch(`${stack.urls.profile}/profile/me`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });

    it('accepts what it calls valid (an empty cursor is the first page) and refuses what it calls invalid (logout without its body)', async () => {
      expect((await fetch(`${stack.urls.catalog}/catalog/products?cursor=`)).status).toBe(200);
      const user = await register(stack, `contract-logout-${randomBytes(4).toString('hex')}@example.com`);
      const bare = await fetch(`${stack.urls.auth}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${user.accessToken}` } });
      expect(bare.status).toBe(400);
      expect(((await bare.json()) as { detail: string }).detail).toContain('JSON body');
      const withBody = await fetch(`${stack.urls.auth}/auth/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(withBody.status).toBe(204);
    });

    it('answers QUERY with a body on a known path with 405 and Allow (schemathesis only sends it bodiless, which is a 400)', async () => {
      const response = await fetch(`${stack.urls.auth}/auth/me`, { method: 'QUERY', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH');
    });
  });

  describe('schemathesis, all checks and the stateful phase', () => {
    it.each(RUNS)('%s as %s: 0 failures', async (service, role) => {
      const run = await runSchemathesis(options(service, role));
      runs.push(summary(`${service} as ${role}`, run));
      expect(run.report.operations.tested).toBe(run.report.operations.selected);
      expect(run.report.test_cases.generated).toBeGreaterThan(0);
      expect(run.report.phases.stateful.status).not.toBe('skipped');
      if (run.report.failures.length || run.report.errors.length) throw new Error(`${summary(service, run)}\n${run.output}`);
      expect(run.exitCode).toBe(0);
    }, 180_000);
  });

  describe('the harness itself', () => {
    it('catches a document that breaks the contract: a 404 the document does not declare fails the run', async () => {
      const broken = structuredClone(documents.catalog) as OpenApi;
      delete broken.paths['/catalog/products/{id}'].get.responses['404'];
      const file = join(mkdtempSync(join(tmpdir(), 'contract-')), 'catalog-broken.json');
      writeFileSync(file, JSON.stringify(broken));
      const run: Run = await runSchemathesis(options('catalog', 'user', { schema: file, name: 'catalog-broken', include: ['GET /catalog/products/{id}'], maxExamples: 10 }));
      expect(run.exitCode).not.toBe(0);
      expect(run.report.failures.map((failure) => failure.code)).toContain('ST103'); // undocumented status code
    }, 120_000);

    it('reports an unreachable document as an error, not as a pass', async () => {
      const run = await runSchemathesis(options('catalog', 'user', { schema: `${stack.urls.catalog}/catalog/docs/missing.json`, name: 'catalog-missing', timeoutMs: 60_000 })).catch(
        (error: Error) => error,
      );
      if (run instanceof Error) expect(run.message).toMatch(/no report|404/);
      else expect(run.exitCode).not.toBe(0);
    }, 90_000);
  });
});

async function register(stack: Stack, email: string): Promise<{ accessToken: string }> {
  const response = await fetch(`${stack.urls.auth}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.80.${randomBytes(1)[0]}.${randomBytes(1)[0]}` },
    body: JSON.stringify({ email, password: 'contract-password', displayName: 'Contract' }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { accessToken: string };
}
