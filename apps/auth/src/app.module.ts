import { DynamicModule, Module } from '@nestjs/common';
import { loadConfig } from '@saas/config';
import { PlatformModule, type PlatformSpec } from '@saas/platform';
import { authEnv } from './config';

export type AuthConfig = ReturnType<typeof loadConfig<typeof authEnv>>;

export const authSpec: PlatformSpec = {
  service: 'auth',
  description: 'Users, credentials, refresh-token families and signing keys.',
  entities: [],
  migrations: [],
  topics: [],
};

@Module({})
export class AppModule {
  static register(config: AuthConfig): DynamicModule {
    return { module: AppModule, imports: [PlatformModule.forRoot(authSpec, config)] };
  }
}
