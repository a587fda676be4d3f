import { DynamicModule, Module } from '@nestjs/common';
import { StorageDriver } from '../storage/storage.driver';
import { AssetsController } from './assets.controller';
import { AssetsService } from './assets.service';
import { MediaSettings } from './media-settings';
import { MultipartSupport } from './multipart';
import { ThumbnailWorker } from './thumbnails.worker';
import { UploadsService } from './uploads.service';

@Module({})
export class AssetsModule {
  static register(settings: MediaSettings, storage: () => Promise<StorageDriver>): DynamicModule {
    return {
      module: AssetsModule,
      controllers: [AssetsController],
      providers: [
        { provide: MediaSettings, useValue: settings },
        { provide: StorageDriver, useFactory: storage },
        MultipartSupport,
        UploadsService,
        AssetsService,
        ThumbnailWorker,
      ],
    };
  }
}
