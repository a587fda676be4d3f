import { Inject, Injectable } from '@nestjs/common';
import { HttpClient } from '@saas/http-client';

export const MEDIA_CLIENT = Symbol('MEDIA_CLIENT');

interface MediaUrls {
  assets: { assetId: string; status: string; variants: Record<string, { url: string }> }[];
  missing: string[];
}

export interface LiveMedia {
  /** false when media could not answer in time: the product is served without live URLs. */
  live: boolean;
  reason?: string;
  urls: Record<string, Record<string, string>>;
}

/**
 * The synchronous path to media: live variant URLs for a product's images, through the resilient
 * client (timeout, one retry, breaker, bulkhead). With media down the product is still served, fast,
 * and says `live: false` with the reason.
 */
@Injectable()
export class MediaLinks {
  constructor(@Inject(MEDIA_CLIENT) private readonly media: HttpClient) {}

  async forAssets(assetIds: string[]): Promise<LiveMedia> {
    if (assetIds.length === 0) return { live: true, urls: {} };
    const result = await this.media.get<MediaUrls, null>('/media/urls', { query: { ids: assetIds.join(',') }, fallback: () => null });
    if (result.degraded || result.status !== 200 || !result.body) {
      return { live: false, reason: result.degraded ? result.reason : `media answered ${result.status}`, urls: {} };
    }
    const urls = Object.fromEntries(
      result.body.assets.map((asset) => [asset.assetId, Object.fromEntries(Object.entries(asset.variants).map(([name, variant]) => [name, variant.url]))]),
    );
    return { live: true, urls };
  }
}
