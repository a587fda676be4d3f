import { ApiParam } from '@nestjs/swagger';

/**
 * The ids the services accept, exactly: what class-validator's `IsUUID()` and Nest's `ParseUUIDPipe`
 * take (RFC 9562 versions 1-8 with the RFC variant, plus the nil and max ids), either case. `format: uuid`
 * alone would call any 8-4-4-4-12 hex string valid, which the services answer with 400.
 */
export const UUID_PATTERN =
  '^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|[fF]{8}-[fF]{4}-[fF]{4}-[fF]{4}-[fF]{12})$';

/** Spread into `@ApiProperty()` / `@ApiPropertyOptional()` of a uuid field. */
export const UUID_PROPERTY = { type: String, format: 'uuid', pattern: UUID_PATTERN } as const;

/** A uuid path parameter (the handler parses it with `ParseUUIDPipe`: anything else is 400). */
export const ApiUuidParam = (name: string, description?: string) =>
  ApiParam({ name, required: true, description, schema: { type: 'string', format: 'uuid', pattern: UUID_PATTERN } });
