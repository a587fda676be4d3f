import { DynamicModule, Module } from '@nestjs/common';
import { loadConfig } from '@saas/config';
import { PlatformModule, type PlatformSpec } from '@saas/platform';
import { profileEnv } from './config';

export type ProfileConfig = ReturnType<typeof loadConfig<typeof profileEnv>>;

export const profileSpec: PlatformSpec = {
  service: 'profile',
  description: 'Public user profiles.',
  entities: [],
  migrations: [],
  topics: [],
};

@Module({})
export class AppModule {
  static register(config: ProfileConfig): DynamicModule {
    return { module: AppModule, imports: [PlatformModule.forRoot(profileSpec, config)] };
  }
}
