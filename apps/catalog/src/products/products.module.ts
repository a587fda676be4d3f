import { DynamicModule, Module } from '@nestjs/common';
import { Cache } from '@saas/cache';
import { HttpClient } from '@saas/http-client';
import { EventConsumers } from '@saas/messaging';
import { CatalogEventHandlers } from './cache-invalidation';
import { MEDIA_CLIENT, MediaLinks } from './media-links';
import { ProductsController } from './products.controller';
import { ProductsService } from './products.service';

@Module({})
export class ProductsModule {
  /** `consumerGroup`: the cache-invalidation group (one per environment prefix, like the topics). */
  static register(media: { baseUrl: string; timeoutMs: number }, consumerGroup: string): DynamicModule {
    return {
      module: ProductsModule,
      controllers: [ProductsController],
      providers: [
        ProductsService,
        {
          provide: CatalogEventHandlers,
          useFactory: (consumers: EventConsumers, cache: Cache) => new CatalogEventHandlers(consumers, cache, consumerGroup),
          inject: [EventConsumers, Cache],
        },
        MediaLinks,
        {
          provide: MEDIA_CLIENT,
          useFactory: () =>
            new HttpClient({
              target: 'media',
              baseUrl: media.baseUrl,
              timeoutMs: media.timeoutMs,
              budgetMs: media.timeoutMs * 2,
              retries: 1,
              maxConcurrent: 32,
              breaker: { volumeThreshold: 5, resetTimeoutMs: 5_000 },
            }),
        },
      ],
    };
  }
}
