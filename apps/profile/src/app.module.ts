import { DynamicModule, Module } from '@nestjs/common';
import { CacheModule } from '@saas/cache';
import { TOPICS } from '@saas/contracts';
import { loadConfig } from '@saas/config';
import { PlatformModule, type PlatformSpec } from '@saas/platform';
import { profileEnv } from './config';
import { profileMigrations } from './migrations';
import { Profile } from './profiles/profile.entity';
import { ProfilesModule } from './profiles/profiles.module';

export type ProfileConfig = ReturnType<typeof loadConfig<typeof profileEnv>>;

export const profileSpec: PlatformSpec = {
  service: 'profile',
  description: 'Public user profiles: created from auth events, cached in Redis, changes published as events.',
  entities: [Profile],
  migrations: profileMigrations,
  topics: [TOPICS.user, TOPICS.profile],
};

@Module({})
export class AppModule {
  static register(config: ProfileConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(profileSpec, config),
        CacheModule.forRoot({
          namespace: 'profile',
          enabled: config.CACHE_ENABLED,
          ttlSeconds: config.CACHE_TTL_SECONDS,
          negativeTtlSeconds: config.CACHE_NEGATIVE_TTL_SECONDS,
        }),
        ProfilesModule.register({
          consumerGroup: 'profile',
        }),
      ],
    };
  }
}
