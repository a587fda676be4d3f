import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import type { Principal } from '@saas/auth';
import { Database } from '@saas/data';
import { DomainError, NotFoundError } from '@saas/server';
import { In } from 'typeorm';
import { StorageDriver, originalKey, variantKey } from '../storage/storage.driver';
import { Asset, AssetVariant } from './asset.entity';
import { AssetDto, AssetUrlsDto } from './dtos/asset.dto';
import { MediaSettings } from './media-settings';

export const IMMUTABLE = 'public, max-age=31536000, immutable';

export type VariantContent =
  | { notModified: true; etag: string; cacheControl: string }
  | { notModified: false; etag: string; cacheControl: string; contentType: string; length: number; body: Readable };

const etagOf = (sha256: string) => `"${sha256}"`;

/** If-None-Match carries a list of tags, possibly weak (W/"..."), or `*`. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

@Injectable()
export class AssetsService {
  constructor(
    private readonly db: Database,
    private readonly storage: StorageDriver,
    private readonly settings: MediaSettings,
  ) {}

  /** Metadata: the owner or an admin only (403 for anyone else). */
  async metadata(user: Principal, id: string): Promise<AssetDto> {
    const asset = await this.db.read((em) => em.getRepository(Asset).findOne({ where: { id }, relations: { variants: true } }));
    if (!asset) throw new NotFoundError('asset', id);
    this.assertOwner(user, asset);
    return AssetDto.of(asset, this.settings.publicBaseUrl);
  }

  /** Deletes the asset, its variants and its files: the owner or an admin only. */
  async remove(user: Principal, id: string): Promise<void> {
    await this.db.write(async (em) => {
      const asset = await em.getRepository(Asset).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!asset) throw new NotFoundError('asset', id);
      this.assertOwner(user, asset);
      await em.getRepository(Asset).delete({ id });
    });
    // Committed: the files are unreachable now (a failure here leaves garbage, never a dangling row).
    await this.storage.delete(`variants/${id}`);
    await this.storage.delete(originalKey(id));
  }

  /** Public variant URLs of one asset, for other services (catalog) and clients. */
  async urls(id: string): Promise<AssetUrlsDto> {
    const asset = await this.db.read((em) => em.getRepository(Asset).findOne({ where: { id }, relations: { variants: true } }));
    if (!asset) throw new NotFoundError('asset', id);
    return AssetUrlsDto.of(asset, this.settings.publicBaseUrl);
  }

  /** Up to 50 assets in one call; unknown ids are listed in `missing`. */
  async urlsOf(ids: string[]): Promise<{ assets: AssetUrlsDto[]; missing: string[] }> {
    const unique = [...new Set(ids)];
    const assets = await this.db.read((em) => em.getRepository(Asset).find({ where: { id: In(unique) }, relations: { variants: true } }));
    const found = new Map(assets.map((asset) => [asset.id, asset]));
    return {
      assets: unique.flatMap((id) => {
        const asset = found.get(id);
        return asset ? [AssetUrlsDto.of(asset, this.settings.publicBaseUrl)] : [];
      }),
      missing: unique.filter((id) => !found.has(id)),
    };
  }

  /**
   * A variant's bytes. Content at a variant URL never changes (ids are never reused, variants are
   * written once per asset), so it is served public + immutable with its sha256 as strong ETag.
   */
  async variant(id: string, name: string, ifNoneMatch?: string): Promise<VariantContent> {
    const variant = await this.db.read((em) => em.getRepository(AssetVariant).findOneBy({ assetId: id, name }));
    if (!variant) throw new NotFoundError('variant', `${id}/${name}`);
    const etag = etagOf(variant.sha256);
    if (matches(ifNoneMatch, etag)) return { notModified: true, etag, cacheControl: IMMUTABLE };
    const body = await this.storage.get(variantKey(id, name));
    return { notModified: false, etag, cacheControl: IMMUTABLE, contentType: variant.contentType, length: variant.bytes, body };
  }

  private assertOwner(user: Principal, asset: Asset): void {
    if (asset.ownerId !== user.userId && !user.roles.includes('admin')) {
      throw new DomainError('asset.forbidden', 'only the owner or an admin may do this', 403);
    }
  }
}
