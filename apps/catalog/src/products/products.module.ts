import { DynamicModule, Module } from '@nestjs/common';
import { HttpClient } from '@saas/http-client';
import { CatalogEventHandlers } from './cache-invalidation';
import { MEDIA_CLIENT, MediaLinks } from './media-links';
import { ProductsController } from './products.controller';
import { ProductsService } from './products.service';

@Module({})
export class ProductsModule {
  static register(media: { baseUrl: string; timeoutMs: number }): DynamicModule {
    return {
      module: ProductsModule,
      controllers: [ProductsController],
      providers: [
        ProductsService,
        CatalogEventHandlers,
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
