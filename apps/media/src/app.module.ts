import { DynamicModule, Module } from '@nestjs/common';
import { TOPICS } from '@saas/contracts';
import { loadConfig } from '@saas/config';
import { PlatformModule, type PlatformSpec } from '@saas/platform';
import { Asset, AssetVariant } from './assets/asset.entity';
import { AssetsModule } from './assets/assets.module';
import { MediaSettings } from './assets/media-settings';
import { mediaEnv } from './config';
import { mediaMigrations } from './migrations';
import { createStorage } from './storage';

export type MediaConfig = ReturnType<typeof loadConfig<typeof mediaEnv>>;

export const mediaSpec: PlatformSpec = {
  service: 'media',
  description: 'Uploaded images: streamed upload (202), thumbnails by a Kafka worker, immutable variant URLs.',
  entities: [Asset, AssetVariant],
  migrations: mediaMigrations,
  topics: [TOPICS.asset],
};

@Module({})
export class AppModule {
  static register(config: MediaConfig): DynamicModule {
    const settings = new MediaSettings(
      config.MEDIA_MAX_UPLOAD_BYTES,
      config.MEDIA_MAX_INPUT_PIXELS,
      config.MEDIA_PUBLIC_BASE_URL,
      'media-thumbnails',
      config.MEDIA_WORKER_ENABLED,
      config.MEDIA_WORKER_CRASH_AFTER_VARIANT,
    );
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot(mediaSpec, config), AssetsModule.register(settings, () => createStorage(config))],
    };
  }
}
