import { ApiProperty, ApiQuery } from '@nestjs/swagger';
import { UUID_PATTERN } from '@saas/server';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsUUID } from 'class-validator';

const IDS_QUERY = {
  type: 'array',
  items: { type: 'string', format: 'uuid', pattern: UUID_PATTERN },
  minItems: 1,
  maxItems: 50,
  description: 'Asset ids, comma-separated (at most 50)',
} as const;

/** The `ids` query parameter as sent: one comma-separated value (`style: form, explode: false`). */
export const ApiIdsQuery = () =>
  ApiQuery({ name: 'ids', required: true, style: 'form', explode: false, schema: { ...IDS_QUERY, items: { ...IDS_QUERY.items } }, description: IDS_QUERY.description });

export class UrlsQueryDto {
  // `?ids=<id>,<id>`: no empty items, no spaces.
  @ApiProperty(IDS_QUERY)
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',') : value))
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true })
  ids: string[];
}
