import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type ReferenceObject,
  type ResponseObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { problemResponse } from './api-problems';
import { PROBLEM_SCHEMA, PROBLEM_SCHEMA_NAME } from './problem';

export const BEARER_SCHEME = 'bearer';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const STATUS_TEXT: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted', '204': 'No Content', '304': 'Not Modified' };

/** Every operation of a document, with its path and method. */
export function* operationsOf(document: OpenAPIObject): Generator<{ path: string; method: string; operation: OperationObject }> {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) yield { path, method, operation };
    }
  }
}

const isReference = (value: unknown): value is ReferenceObject => typeof value === 'object' && value !== null && '$ref' in value;

/**
 * The rules every service's document follows, applied once here rather than remembered per DTO:
 * - one `ProblemDetails` schema; every 4xx/5xx response without content (e.g. the 401/403 that
 *   `@Authenticated()` declares) gets it as application/problem+json;
 * - an operation with a security requirement documents its 401;
 * - every DTO schema is closed (`additionalProperties: false`) unless it says otherwise: request bodies
 *   because the global ValidationPipe forbids unknown properties (whitelist + forbidNonWhitelisted),
 *   responses because handlers answer exactly the DTO's fields (the contract tests hold them to it);
 * - every response has a description.
 */
export function finalizeOpenApiDocument(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas[PROBLEM_SCHEMA_NAME] = PROBLEM_SCHEMA;
  for (const [name, schema] of Object.entries(document.components.schemas)) {
    if (name === PROBLEM_SCHEMA_NAME || isReference(schema)) continue;
    const object = schema as SchemaObject;
    if ((object.type === 'object' || object.properties) && object.additionalProperties === undefined) object.additionalProperties = false;
  }
  for (const { operation } of operationsOf(document)) {
    const responses = operation.responses as Record<string, ResponseObject | ReferenceObject>;
    if (operation.security?.length && !responses['401']) responses['401'] = problemResponse(401);
    for (const [status, response] of Object.entries(responses)) {
      if (isReference(response)) continue;
      if (Number(status) >= 400 && !response.content) {
        responses[status] = { ...problemResponse(Number(status)), ...(response.description ? { description: response.description } : {}) };
      } else if (!response.description) {
        response.description = STATUS_TEXT[status] ?? 'Response';
      }
    }
  }
  return document;
}

/** The service's OpenAPI document: built from the controllers' decorators, then finalized (above). */
export function createOpenApiDocument(app: INestApplication, options: { name: string; description?: string }): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(`${options.name} service`)
      .setDescription(options.description ?? '')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /auth/login' }, BEARER_SCHEME)
      .build(),
  );
  return finalizeOpenApiDocument(document);
}

/** Serves the document at `/<name>/docs` (Swagger UI) and `/<name>/docs/openapi.json`. */
export function setupOpenApi(app: INestApplication, options: { name: string; description?: string }): OpenAPIObject {
  const document = createOpenApiDocument(app, options);
  SwaggerModule.setup(`${options.name}/docs`, app, document, { jsonDocumentUrl: `${options.name}/docs/openapi.json` });
  return document;
}
