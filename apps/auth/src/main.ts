import './tracing';
import 'reflect-metadata';
import { main } from '@saas/platform';
import { AppModule, authSpec } from './app.module';
import { authEnv } from './config';

main(authSpec, authEnv, (config) => AppModule.register(config));
