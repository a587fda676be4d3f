import './tracing';
import 'reflect-metadata';
import { main } from '@saas/platform';
import { AppModule, catalogSpec } from './app.module';
import { catalogEnv } from './config';
import { seedCatalog } from './seed/seed';

main(catalogSpec, catalogEnv, (config) => AppModule.register(config), { seed: seedCatalog });
