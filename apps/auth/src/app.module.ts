import { DynamicModule, Global, Module } from '@nestjs/common';
import { loadConfig } from '@saas/config';
import { TOPICS } from '@saas/contracts';
import { PlatformModule, type PlatformSpec } from '@saas/platform';
import { AccountsModule } from './accounts/accounts.module';
import { RefreshFamily, RefreshToken, User } from './accounts/user.entity';
import { AUTH_SETTINGS, type AuthSettings } from './auth.settings';
import { authEnv } from './config';
import { parseSigningKeys } from './keys/signing-keys';
import { CreateAccounts1764300000100 } from './migrations/1764300000100-create-accounts';

export type AuthConfig = ReturnType<typeof loadConfig<typeof authEnv>>;

export const authSpec: PlatformSpec = {
  service: 'auth',
  description: 'Users, credentials, refresh-token families and signing keys.',
  entities: [User, RefreshFamily, RefreshToken],
  migrations: [CreateAccounts1764300000100],
  topics: [TOPICS.user],
};

/** Validated settings (signing keys parsed once) for the auth features. */
export function authSettings(config: AuthConfig): AuthSettings {
  return {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    signingKeys: parseSigningKeys(config.JWT_SIGNING_KEYS),
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    adminEmails: config.AUTH_ADMIN_EMAILS,
    limits: {
      loginPerAccount: config.RATE_LIMIT_LOGIN_PER_ACCOUNT,
      loginPerIp: config.RATE_LIMIT_LOGIN_PER_IP,
      registerPerIp: config.RATE_LIMIT_REGISTER_PER_IP,
      refreshPerIp: config.RATE_LIMIT_REFRESH_PER_IP,
    },
  };
}

@Global()
@Module({})
class AuthSettingsModule {}

@Module({})
export class AppModule {
  static register(config: AuthConfig): DynamicModule {
    const settings = authSettings(config);
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(authSpec, config),
        {
          module: AuthSettingsModule,
          providers: [{ provide: AUTH_SETTINGS, useValue: settings }],
          exports: [AUTH_SETTINGS],
        },
        AccountsModule,
      ],
    };
  }
}
