import { ApiProperty } from '@nestjs/swagger';
import { UUID_PROPERTY } from '@saas/server';
import type { Asset, AssetStatus, AssetVariant } from '../asset.entity';
import { VARIANT_CONTENT_TYPE, VARIANT_NAMES } from '../variants';

export const variantUrl = (baseUrl: string, assetId: string, variant: string) => `${baseUrl}/media/assets/${assetId}/content/${variant}`;

const STATUSES: AssetStatus[] = ['processing', 'ready', 'failed'];

export class VariantDto {
  @ApiProperty({ enum: VARIANT_NAMES, example: 'thumb' })
  name: string;

  @ApiProperty({ type: 'integer', minimum: 1 })
  width: number;

  @ApiProperty({ type: 'integer', minimum: 1 })
  height: number;

  @ApiProperty({ example: VARIANT_CONTENT_TYPE })
  contentType: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
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
  @ApiProperty(UUID_PROPERTY)
  id: string;

  @ApiProperty(UUID_PROPERTY)
  ownerId: string;

  @ApiProperty({ enum: STATUSES })
  status: AssetStatus;

  @ApiProperty({ example: 'image/jpeg', description: 'Sniffed from the content' })
  contentType: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  bytes: number;

  @ApiProperty({ type: String, nullable: true })
  originalFilename: string | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Known once the worker has decoded the image' })
  width: number | null;

  @ApiProperty({ type: 'integer', nullable: true })
  height: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the worker gave up (status `failed`)' })
  failureReason: string | null;

  @ApiProperty({ type: [VariantDto], description: 'Smallest first; empty until `ready`' })
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

  @ApiProperty({ type: 'integer', minimum: 1 })
  width: number;

  @ApiProperty({ type: 'integer', minimum: 1 })
  height: number;

  @ApiProperty({ example: VARIANT_CONTENT_TYPE })
  contentType: string;
}

export class AssetVariantUrlsDto {
  @ApiProperty({ type: VariantUrlDto, required: false })
  thumb?: VariantUrlDto;

  @ApiProperty({ type: VariantUrlDto, required: false })
  medium?: VariantUrlDto;
}

/**
 * What another service (catalog) needs to show an asset: public, no owner data.
 * `variants` is empty until the asset is `ready`.
 */
export class AssetUrlsDto {
  @ApiProperty(UUID_PROPERTY)
  assetId: string;

  @ApiProperty({ enum: STATUSES })
  status: AssetStatus;

  @ApiProperty({ type: AssetVariantUrlsDto, description: 'By variant name; empty until the asset is `ready`' })
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

export class AssetUrlsBatchDto {
  @ApiProperty({ type: [AssetUrlsDto], description: 'The assets found, each once' })
  assets: AssetUrlsDto[];

  @ApiProperty({ type: 'array', items: { type: 'string', format: 'uuid' }, description: 'Requested ids that do not exist' })
  missing: string[];
}
