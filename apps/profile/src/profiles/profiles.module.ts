import { DynamicModule, Module } from '@nestjs/common';
import { EventConsumers } from '@saas/messaging';
import { ProfileCache } from './profile-cache';
import { ProfileEvents } from './profile-events';
import { ProfilesController } from './profiles.controller';
import { ProfilesService } from './profiles.service';

export interface ProfilesOptions {
  /** Kafka consumer group (and inbox key). */
  consumerGroup: string;
}

@Module({})
export class ProfilesModule {
  static register(options: ProfilesOptions): DynamicModule {
    return {
      module: ProfilesModule,
      controllers: [ProfilesController],
      providers: [
        ProfilesService,
        ProfileCache,
        {
          provide: ProfileEvents,
          useFactory: (consumers: EventConsumers, profiles: ProfilesService) => new ProfileEvents(consumers, profiles, options.consumerGroup),
          inject: [EventConsumers, ProfilesService],
        },
      ],
    };
  }
}
