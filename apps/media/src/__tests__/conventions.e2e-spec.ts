import { loadConfig } from '@saas/config';
import { describeServiceConventions } from '@saas/testing';
import { AppModule } from '../app.module';
import { mediaEnv } from '../config';

describeServiceConventions('media', (env) => loadConfig(mediaEnv, env), (config) => AppModule.register(config));
