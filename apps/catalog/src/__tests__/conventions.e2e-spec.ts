import { loadConfig } from '@saas/config';
import { describeServiceConventions } from '@saas/testing';
import { AppModule } from '../app.module';
import { catalogEnv } from '../config';

describeServiceConventions('catalog', (env) => loadConfig(catalogEnv, env), (config) => AppModule.register(config));
