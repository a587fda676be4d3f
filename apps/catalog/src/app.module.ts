import { DynamicModule, Module } from '@nestjs/common';
import { CacheModule } from '@saas/cache';
import { loadConfig } from '@saas/config';
import { TOPICS } from '@saas/contracts';
import { PlatformModule, type PlatformSpec } from '@saas/platform';
import { CategoriesModule } from './categories/categories.module';
import { catalogEnv } from './config';
import { CreateCatalog1764300000200 } from './migrations/1764300000200-create-catalog';
import { Category, Product, ProductImage } from './products/product.entity';
import { ProductsModule } from './products/products.module';

export type CatalogConfig = ReturnType<typeof loadConfig<typeof catalogEnv>>;

export const catalogSpec: PlatformSpec = {
  service: 'catalog',
  description: 'Products and categories.',
  entities: [Category, Product, ProductImage],
  migrations: [CreateCatalog1764300000200],
  topics: [TOPICS.product, TOPICS.asset],
};

@Module({})
export class AppModule {
  static register(config: CatalogConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(catalogSpec, config),
        CacheModule.forRoot({
          namespace: 'catalog',
          enabled: config.CACHE_ENABLED,
          ttlSeconds: config.CACHE_TTL_SECONDS,
          negativeTtlSeconds: config.CACHE_NEGATIVE_TTL_SECONDS,
        }),
        ProductsModule.register({ baseUrl: config.MEDIA_URL, timeoutMs: config.MEDIA_TIMEOUT_MS }),
        CategoriesModule,
      ],
    };
  }
}
