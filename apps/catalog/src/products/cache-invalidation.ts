import { Injectable } from '@nestjs/common';
import { Cache } from '@saas/cache';
import { TOPICS } from '@saas/contracts';
import { EventConsumers } from '@saas/messaging';
import { ProductImage, Product } from './product.entity';
import { LISTS, productKey } from './products.service';

/**
 * Cache invalidation driven by events: one consumer group for all catalog replicas, so each event
 * invalidates the shared Redis cache once and every replica sees it. Also the async half of image
 * handling: media's "asset ready" events attach variants to the products that reference the asset.
 */
@Injectable()
export class CatalogEventHandlers {
  constructor(consumers: EventConsumers, cache: Cache) {
    const invalidateProduct = async (productId: string) => {
      await cache.invalidate(productKey(cache, productId));
      await cache.bump(LISTS);
    };
    consumers.register({
      group: 'catalog-cache',
      topics: [TOPICS.product, TOPICS.asset],
      handlers: {
        'catalog.product.created.v1': async () => cache.bump(LISTS),
        'catalog.product.updated.v1': async (event) => invalidateProduct(event.data.productId),
        'catalog.product.deleted.v1': async (event) => invalidateProduct(event.data.productId),
        // New products only: existing entries stay valid, every cached list page is dropped in O(1).
        'catalog.products.imported.v1': async () => cache.bump(LISTS),
        'media.asset.ready.v1': async (event, em) => {
          await em.getRepository(ProductImage).upsert({ assetId: event.data.assetId, variants: event.data.variants }, ['assetId']);
          const products = await em
            .getRepository(Product)
            .createQueryBuilder('p')
            .select('p.id')
            .where(':asset = any(p.image_asset_ids)', { asset: event.data.assetId })
            .getMany();
          await cache.invalidate(...products.map((product) => productKey(cache, product.id)));
          if (products.length) await cache.bump(LISTS);
        },
      },
    });
  }
}
