import { Body, Controller, Get, Module, Patch, Post, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiUnauthorizedResponse, type OpenAPIObject } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length } from 'class-validator';
import { ProblemDetailsFilter } from '../../errors/problem.filter';
import { ApiProblems, createOpenApiDocument, finalizeOpenApiDocument, MinProperties, Omittable, RequireBody, STORED_TEXT_PATTERN, StoredText } from '../index';

@MinProperties(1, 'send at least one of name, size')
class ChangeThingDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 20, pattern: STORED_TEXT_PATTERN })
  @Omittable()
  @IsString()
  @Length(1, 20)
  @StoredText()
  name?: string;

  @ApiPropertyOptional({ type: 'integer', nullable: true })
  @IsOptional()
  @IsInt()
  size?: number | null;
}

class NoteDto {
  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  note?: string;
}

class ThingDto {
  @ApiProperty() name: string;
}

@Controller('things')
class ThingsController {
  @Get()
  @ApiBearerAuth()
  @ApiOkResponse({ type: ThingDto })
  @ApiUnauthorizedResponse({ description: 'No token' })
  get(): ThingDto {
    return { name: 'lamp' };
  }

  @Patch()
  @ApiBearerAuth()
  @ApiOkResponse({ type: ThingDto })
  @ApiProblems(400, [404, 'No such thing'], 503)
  change(@Body() dto: ChangeThingDto): ChangeThingDto {
    return dto;
  }

  @Post('notes')
  @RequireBody()
  @ApiOkResponse({ description: 'Noted' })
  note(@Body() dto: NoteDto): NoteDto {
    return dto;
  }
}

@Module({ controllers: [ThingsController] })
class ThingsModule {}

describe('the OpenAPI contract helpers', () => {
  let app: NestFastifyApplication;
  let document: OpenAPIObject;
  const call = async (method: 'PATCH' | 'POST', url: string, payload?: string) => {
    const response = await app
      .getHttpAdapter()
      .getInstance()
      .inject({ method, url, payload, headers: payload === undefined ? {} : { 'content-type': 'application/json' } });
    return { status: response.statusCode, type: response.headers['content-type'], body: response.json() as { detail?: string; errors?: string[] } };
  };

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(ThingsModule, new FastifyAdapter(), { logger: false });
    app.useGlobalFilters(new ProblemDetailsFilter());
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
    document = createOpenApiDocument(app, { name: 'things' });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(() => app.close());

  describe('the document', () => {
    it('declares one ProblemDetails schema and answers every error with it, as application/problem+json', () => {
      const patch = document.paths['/things'].patch!.responses as Record<string, { description: string; content?: Record<string, { schema: unknown }>; headers?: object }>;
      expect(Object.keys(patch).sort()).toEqual(['200', '400', '401', '404', '503']);
      for (const status of ['400', '401', '404', '503']) {
        expect(patch[status].content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } });
      }
      expect(patch['404'].description).toBe('No such thing');
      expect(patch['503'].headers).toHaveProperty('Retry-After');
      expect(document.components?.schemas?.ProblemDetails).toMatchObject({ required: ['type', 'title', 'status'] });
    });

    it('gives a content-less error response (e.g. from another decorator) the problem schema, keeping its description', () => {
      const get = document.paths['/things'].get!.responses['401'] as { description: string; content: object };
      expect(get.description).toBe('No token');
      expect(get.content).toHaveProperty(['application/problem+json']);
    });

    it('closes DTO schemas, and a partial update says minProperties: 1', () => {
      expect(document.components?.schemas?.ChangeThingDto).toMatchObject({ additionalProperties: false, minProperties: 1 });
      expect(document.components?.schemas?.ThingDto).toMatchObject({ additionalProperties: false });
    });

    it('adds a 401 to a secured operation that forgot it, and leaves a schema that chose additionalProperties alone', () => {
      const bare = finalizeOpenApiDocument({
        openapi: '3.0.0',
        info: { title: 't', version: '1' },
        paths: { '/x': { get: { security: [{ bearer: [] }], responses: { 200: { description: '' } } } } },
        components: { schemas: { Open: { type: 'object', properties: {}, additionalProperties: true } } },
      });
      expect(Object.keys(bare.paths['/x'].get!.responses)).toEqual(['200', '401']);
      expect((bare.paths['/x'].get!.responses['200'] as { description: string }).description).toBe('OK');
      expect(bare.components?.schemas?.Open).toMatchObject({ additionalProperties: true });
    });

    it('copes with a document that has no components or paths yet', () => {
      const empty = finalizeOpenApiDocument({ openapi: '3.0.0', info: { title: 't', version: '1' }, paths: {} });
      expect(Object.keys(empty.components?.schemas ?? {})).toEqual(['ProblemDetails']);
    });
  });

  describe('what the server accepts is what the document says', () => {
    it('accepts a partial update with one field, and null where the field is nullable', async () => {
      expect(await call('PATCH', '/things', '{"name":"lamp"}')).toMatchObject({ status: 200 });
      expect(await call('PATCH', '/things', '{"size":null}')).toMatchObject({ status: 200 });
    });

    it.each([
      ['an empty update (minProperties)', '{}', 'send at least one of name, size'],
      ['no body at all on a partial update', undefined, 'send at least one of name, size'],
      ['null for a field that is not nullable', '{"name":null}', 'name must be a string'],
      ['NUL in stored text', '{"name":"a\\u0000b"}', 'name may not contain NUL characters'],
      ['an unknown field', '{"name":"x","colour":"red"}', 'property colour should not exist'],
      ['the rule slot itself', '{"name":"x","\\u0000minProperties":1}', 'send at least one of name, size'],
    ])('refuses %s with 400 problem+json', async (_label, payload, message) => {
      const answer = await call('PATCH', '/things', payload);
      expect(answer.status).toBe(400);
      expect(answer.type).toContain('application/problem+json');
      expect(answer.body.errors?.join('; ')).toContain(message);
    });

    it('RequireBody: refuses a request without its body, accepts {}', async () => {
      const bare = await call('POST', '/things/notes');
      expect(bare.status).toBe(400);
      expect(bare.body.detail).toContain('send {} when no field applies');
      expect((await call('POST', '/things/notes', '{}')).status).toBe(201);
    });
  });
});
