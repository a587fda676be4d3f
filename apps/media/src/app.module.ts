import { DynamicModule, Module } from '@nestjs/common';
import { loadConfig } from '@saas/config';
import { PlatformModule, type PlatformSpec } from '@saas/platform';
import { mediaEnv } from './config';

export type MediaConfig = ReturnType<typeof loadConfig<typeof mediaEnv>>;

export const mediaSpec: PlatformSpec = {
  service: 'media',
  description: 'Uploaded files and their variants.',
  entities: [],
  migrations: [],
  topics: [],
};

@Module({})
export class AppModule {
  static register(config: MediaConfig): DynamicModule {
    return { module: AppModule, imports: [PlatformModule.forRoot(mediaSpec, config)] };
  }
}
