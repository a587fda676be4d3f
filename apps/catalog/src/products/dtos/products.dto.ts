import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MinProperties, Omittable, STORED_TEXT_PATTERN, StoredText, UUID_PATTERN, UUID_PROPERTY } from '@saas/server';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { PRODUCT_SORTS, type ProductSort } from '../cursor';

const MAX_PRICE = 100_000_000;

// Search text: words, numbers, spaces and light punctuation; statement syntax (; -- /* */ = ( )) is refused outright.
const SEARCH_PATTERN = "^(?!.*--)[\\p{L}\\p{N} .,'&+-]+$";
const CURSOR_PATTERN = '^[A-Za-z0-9_-]*$';

export class ListProductsQuery {
  @ApiPropertyOptional({
    description: 'Opaque cursor from the previous page (nextCursor); empty means the first page',
    maxLength: 200,
    pattern: CURSOR_PATTERN,
  })
  @Transform(({ value }) => (value === '' ? undefined : value))
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(new RegExp(CURSOR_PATTERN), { message: 'cursor is malformed' })
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional(UUID_PROPERTY)
  @IsOptional()
  @IsUUID()
  categoryId?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_PRICE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  minPriceCents?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_PRICE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  maxPriceCents?: number;

  @ApiPropertyOptional({
    description: 'Order: newest first, or by price (ties by id); a cursor only continues a list in its own order',
    enum: PRODUCT_SORTS,
    default: 'newest',
  })
  @IsOptional()
  @IsIn(PRODUCT_SORTS, { message: `sort must be one of ${PRODUCT_SORTS.join(', ')}` })
  sort?: ProductSort;

  @ApiPropertyOptional({
    description: "Full-text search over name and description: letters, digits, spaces and . , ' & + - (no --)",
    minLength: 1,
    maxLength: 100,
    pattern: SEARCH_PATTERN,
  })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @Matches(new RegExp(SEARCH_PATTERN, 'u'), { message: "q may contain letters, digits, spaces and . , ' & + - only, and no --" })
  q?: string;
}

export class CreateProductDto {
  @ApiProperty({ minLength: 1, maxLength: 200, pattern: STORED_TEXT_PATTERN })
  @IsString()
  @Length(1, 200)
  @StoredText()
  name: string;

  @ApiPropertyOptional({ maxLength: 5000, pattern: STORED_TEXT_PATTERN })
  @Omittable()
  @IsString()
  @MaxLength(5000)
  @StoredText()
  description?: string;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_PRICE })
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  priceCents: number;

  @ApiPropertyOptional({ ...UUID_PROPERTY, description: 'An existing category (see GET /catalog/categories)' })
  @Omittable()
  @IsUUID()
  categoryId?: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', format: 'uuid', pattern: UUID_PATTERN },
    maxItems: 20,
    description: 'Media asset ids (uploaded through the media service)',
  })
  @Omittable()
  @IsArray()
  @IsUUID('all', { each: true })
  @ArrayMaxSize(20)
  imageAssetIds?: string[];
}

@MinProperties(1, 'send at least one of name, description, priceCents, categoryId, imageAssetIds')
export class UpdateProductDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200, pattern: STORED_TEXT_PATTERN })
  @Omittable()
  @IsString()
  @Length(1, 200)
  @StoredText()
  name?: string;

  @ApiPropertyOptional({ maxLength: 5000, pattern: STORED_TEXT_PATTERN })
  @Omittable()
  @IsString()
  @MaxLength(5000)
  @StoredText()
  description?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_PRICE })
  @Omittable()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  priceCents?: number;

  @ApiPropertyOptional({ ...UUID_PROPERTY, description: 'An existing category (see GET /catalog/categories)' })
  @Omittable()
  @IsUUID()
  categoryId?: string;

  @ApiPropertyOptional({ type: 'array', items: { type: 'string', format: 'uuid', pattern: UUID_PATTERN }, maxItems: 20 })
  @Omittable()
  @IsArray()
  @IsUUID('all', { each: true })
  @ArrayMaxSize(20)
  imageAssetIds?: string[];
}

export class ImageVariantDto {
  @ApiProperty({ example: 'thumb' }) name: string;
  @ApiProperty({ type: 'integer', minimum: 1 }) width: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) height: number;
  @ApiProperty({ example: 'image/webp' }) contentType: string;
  @ApiProperty({ type: 'integer', minimum: 0 }) bytes: number;
}

export class ImageDto {
  @ApiProperty(UUID_PROPERTY) assetId: string;
  @ApiProperty({ enum: ['ready', 'processing'], description: '`processing` until media announces the thumbnails' }) status: 'ready' | 'processing';
  @ApiProperty({ type: [ImageVariantDto] }) variants: ImageVariantDto[];
}

export class ProductDto {
  @ApiProperty(UUID_PROPERTY) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'Empty when none was given' }) description: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_PRICE }) priceCents: number;
  @ApiProperty({ ...UUID_PROPERTY, nullable: true }) categoryId: string | null;
  @ApiProperty({ type: [ImageDto] }) images: ImageDto[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class LiveMediaDto {
  @ApiProperty({ description: 'false when media did not answer in time; images are then served without live URLs' }) live: boolean;
  @ApiPropertyOptional({
    description: 'Why not live: timeout, unavailable, server-error, circuit-open, bulkhead-full, or `media answered <status>`',
    example: 'circuit-open',
  })
  reason?: string;
  @ApiProperty({
    type: 'object',
    description: 'assetId -> variant name -> URL',
    additionalProperties: { type: 'object', additionalProperties: { type: 'string' } },
  })
  urls: Record<string, Record<string, string>>;
}

export class ProductDetailDto extends ProductDto {
  @ApiProperty({ type: LiveMediaDto }) media: LiveMediaDto;
}

export class ProductPageDto {
  @ApiProperty({ type: [ProductDto] }) items: ProductDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}
