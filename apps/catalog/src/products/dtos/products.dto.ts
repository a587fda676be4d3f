import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';

const MAX_PRICE = 100_000_000;

export class ListProductsQuery {
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page (nextCursor)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor is malformed' })
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  categoryId?: string;

  @ApiPropertyOptional({ minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  minPriceCents?: number;

  @ApiPropertyOptional({ minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  maxPriceCents?: number;

  @ApiPropertyOptional({ description: 'Full-text search over name and description (words only)', maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  // Words, numbers and light punctuation only: statement syntax (; -- /* */ = ( )) is refused outright.
  @Matches(/^[\p{L}\p{N}\s.,'&+-]+$/u, { message: 'q may contain letters, digits, spaces and . , \' & + - only' })
  @Matches(/^(?!.*--)/, { message: 'q may not contain --' })
  q?: string;
}

export class CreateProductDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiPropertyOptional({ maxLength: 5000 })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;

  @ApiProperty({ minimum: 0 })
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  priceCents: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  categoryId?: string;

  @ApiPropertyOptional({ type: [String], description: 'Media asset ids (uploaded through the media service)' })
  @IsOptional()
  @IsUUID('all', { each: true })
  @ArrayMaxSize(20)
  imageAssetIds?: string[];
}

export class UpdateProductDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ maxLength: 5000 })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;

  @ApiPropertyOptional({ minimum: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  priceCents?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  categoryId?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsUUID('all', { each: true })
  @ArrayMaxSize(20)
  imageAssetIds?: string[];
}

export class ImageDto {
  @ApiProperty() assetId: string;
  @ApiProperty({ enum: ['ready', 'processing'] }) status: 'ready' | 'processing';
  @ApiProperty({ type: 'array', items: { type: 'object' } }) variants: { name: string; width: number; height: number }[];
}

export class ProductDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty() priceCents: number;
  @ApiProperty({ nullable: true, type: String }) categoryId: string | null;
  @ApiProperty({ type: [ImageDto] }) images: ImageDto[];
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class LiveMediaDto {
  @ApiProperty({ description: 'false when media did not answer in time; images are then served without live URLs' }) live: boolean;
  @ApiPropertyOptional({ enum: ['timeout', 'unavailable', 'server-error', 'circuit-open', 'bulkhead-full'] }) reason?: string;
  @ApiProperty({ description: 'assetId -> variant -> URL' }) urls: Record<string, Record<string, string>>;
}

export class ProductDetailDto extends ProductDto {
  @ApiProperty({ type: LiveMediaDto }) media: LiveMediaDto;
}

export class ProductPageDto {
  @ApiProperty({ type: [ProductDto] }) items: ProductDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}
