import { loadConfig } from '@saas/config';
import { describeServiceConventions } from '@saas/testing';
import { AppModule } from '../app.module';
import { profileEnv } from '../config';

describeServiceConventions('profile', (env) => loadConfig(profileEnv, env), (config) => AppModule.register(config));
