import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@saas/config';
import { describeServiceConventions } from '@saas/testing';
import { AppModule } from '../app.module';
import { mediaEnv } from '../config';

describeServiceConventions('media', (env) => loadConfig(mediaEnv, env), (config) => AppModule.register(config), {
  MEDIA_STORAGE_DIR: mkdtempSync(join(tmpdir(), 'media-conventions-')),
});
