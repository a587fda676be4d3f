import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Asset, AssetStatus, AssetVariant } from '../asset.entity';

export const variantUrl = (baseUrl: string, assetId: string, variant: string) => `${baseUrl}/media/assets/${assetId}/content/${variant}`;

export class VariantDto {
  @ApiProperty({ example: 'thumb' })
  name: string;

  @ApiProperty()
  width: number;

  @ApiProperty()
  height: number;

  @ApiProperty({ example: 'image/webp' })
  contentType: string;

  @ApiProperty()
  bytes: number;

  @ApiProperty({ description: 'Immutable; cacheable for a year' })
  url: string;

  static of(variant: AssetVariant, baseUrl: string): VariantDto {
    return {
      name: variant.name,
      width: variant.width,
      height: variant.height,
      contentType: variant.contentType,
      bytes: variant.bytes,
      url: variantUrl(baseUrl, variant.assetId, variant.name),
    };
  }
}

/** Metadata of an asset, for its owner (or an admin). */
export class AssetDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  ownerId: string;

  @ApiProperty({ enum: ['processing', 'ready', 'failed'] })
  status: AssetStatus;

  @ApiProperty({ example: 'image/jpeg', description: 'Sniffed from the content' })
  contentType: string;

  @ApiProperty()
  bytes: number;

  @ApiPropertyOptional({ type: String, nullable: true })
  originalFilename: string | null;

  @ApiPropertyOptional({ type: Number, nullable: true })
  width: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true })
  height: number | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  failureReason: string | null;

  @ApiProperty({ type: [VariantDto] })
  variants: VariantDto[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  static of(asset: Asset, baseUrl: string): AssetDto {
    return {
      id: asset.id,
      ownerId: asset.ownerId,
      status: asset.status,
      contentType: asset.contentType,
      bytes: asset.bytes,
      originalFilename: asset.originalFilename,
      width: asset.width,
      height: asset.height,
      failureReason: asset.failureReason,
      variants: (asset.variants ?? []).sort((a, b) => a.width - b.width).map((variant) => VariantDto.of(variant, baseUrl)),
      createdAt: new Date(asset.createdAt ?? Date.now()).toISOString(),
    };
  }
}

export class VariantUrlDto {
  @ApiProperty()
  url: string;

  @ApiProperty()
  width: number;

  @ApiProperty()
  height: number;

  @ApiProperty({ example: 'image/webp' })
  contentType: string;
}

/**
 * What another service (catalog) needs to show an asset: public, no owner data.
 * `variants` is empty until the asset is `ready`.
 */
export class AssetUrlsDto {
  @ApiProperty({ format: 'uuid' })
  assetId: string;

  @ApiProperty({ enum: ['processing', 'ready', 'failed'] })
  status: AssetStatus;

  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/VariantUrlDto' }, example: { thumb: {}, medium: {} } })
  variants: Record<string, VariantUrlDto>;

  static of(asset: Asset, baseUrl: string): AssetUrlsDto {
    const variants: Record<string, VariantUrlDto> = {};
    if (asset.status === 'ready') {
      for (const variant of asset.variants ?? []) {
        variants[variant.name] = {
          url: variantUrl(baseUrl, asset.id, variant.name),
          width: variant.width,
          height: variant.height,
          contentType: variant.contentType,
        };
      }
    }
    return { assetId: asset.id, status: asset.status, variants };
  }
}
