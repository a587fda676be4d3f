import { DynamicModule, Module } from '@nestjs/common';
import { loadConfig } from '@saas/config';
import { PlatformModule, type PlatformSpec } from '@saas/platform';
import { catalogEnv } from './config';

export type CatalogConfig = ReturnType<typeof loadConfig<typeof catalogEnv>>;

export const catalogSpec: PlatformSpec = {
  service: 'catalog',
  description: 'Products and categories.',
  entities: [],
  migrations: [],
  topics: [],
};

@Module({})
export class AppModule {
  static register(config: CatalogConfig): DynamicModule {
    return { module: AppModule, imports: [PlatformModule.forRoot(catalogSpec, config)] };
  }
}
