import { loadConfig } from '@saas/config';
import { describeServiceConventions, signingKeys } from '@saas/testing';
import { AppModule } from '../app.module';
import { authEnv } from '../config';

describeServiceConventions('auth', (env) => loadConfig(authEnv, env), (config) => AppModule.register(config), {
  JWT_SIGNING_KEYS: signingKeys('conventions').json,
});
