import './tracing';
import 'reflect-metadata';
import { main } from '@saas/platform';
import { AppModule, profileSpec } from './app.module';
import { profileEnv } from './config';

main(profileSpec, profileEnv, (config) => AppModule.register(config));
