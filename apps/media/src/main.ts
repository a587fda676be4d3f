import './tracing';
import 'reflect-metadata';
import { main } from '@saas/platform';
import { AppModule, mediaSpec } from './app.module';
import { mediaEnv } from './config';

main(mediaSpec, mediaEnv, (config) => AppModule.register(config));
