#!/usr/bin/env bash
# Creates the files every service app needs: scripts/scaffold-app.sh <name> <port> "<description>"
set -euo pipefail
name=$1 port=$2 description=$3
dir=apps/$name
mkdir -p "$dir/src/__tests__" "$dir/src/migrations"
Name="$(tr '[:lower:]' '[:upper:]' <<<"${name:0:1}")${name:1}"
cat > "$dir/project.json" <<JSON
{
  "name": "$name",
  "\$schema": "../../node_modules/nx/schemas/project-schema.json",
  "sourceRoot": "$dir/src",
  "projectType": "application",
  "tags": ["scope:$name", "type:app"],
  "targets": {
    "build": {
      "executor": "@nx/webpack:webpack",
      "outputs": ["{options.outputPath}"],
      "options": {
        "outputPath": "dist/apps/$name",
        "webpackConfig": "$dir/webpack.config.js"
      }
    },
    "serve": {
      "executor": "nx:run-commands",
      "dependsOn": ["build"],
      "options": { "command": "bash scripts/service-env.sh $name node dist/apps/$name/main.js" }
    },
    "migrate": {
      "executor": "nx:run-commands",
      "dependsOn": ["build"],
      "options": { "command": "bash scripts/service-env.sh $name node dist/apps/$name/main.js migrate" }
    },
    "lint": {},
    "typecheck": { "options": { "command": "tsc --noEmit -p $dir/tsconfig.json" } },
    "test": {}
  }
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "types": ["node", "jest"] },
  "include": ["src/**/*.ts"]
}
JSON
cat > "$dir/tsconfig.app.json" <<JSON
{
  "extends": "./tsconfig.json",
  "compilerOptions": { "outDir": "../../dist/out-tsc", "types": ["node"] },
  "exclude": ["src/**/__tests__/**"]
}
JSON
cat > "$dir/jest.config.ts" <<TS
export default {
  displayName: '$name',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
TS
cat > "$dir/webpack.config.js" <<JS
const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('node:path');

// One bundle of the app and its libs; node_modules stay external and the generated
// package.json lists only the production dependencies this app really imports.
module.exports = {
  output: { path: join(__dirname, '../../dist/apps/$name'), clean: true },
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      tsConfig: './tsconfig.app.json',
      optimization: false,
      outputHashing: 'none',
      generatePackageJson: true,
      sourceMap: true,
    }),
  ],
};
JS
[ -f "$dir/src/config.ts" ] || cat > "$dir/src/config.ts" <<TS
import { platformEnv } from '@saas/platform';

/** Every setting the $name service reads; validated at start (see libs/config). */
export const ${name}Env = { ...platformEnv };
TS
[ -f "$dir/src/app.module.ts" ] || cat > "$dir/src/app.module.ts" <<TS
import { DynamicModule, Module } from '@nestjs/common';
import { loadConfig } from '@saas/config';
import { PlatformModule, type PlatformSpec } from '@saas/platform';
import { ${name}Env } from './config';

export type ${Name}Config = ReturnType<typeof loadConfig<typeof ${name}Env>>;

export const ${name}Spec: PlatformSpec = {
  service: '$name',
  description: '$description',
  entities: [],
  migrations: [],
};

@Module({})
export class AppModule {
  static register(config: ${Name}Config): DynamicModule {
    return { module: AppModule, imports: [PlatformModule.forRoot(${name}Spec, config)] };
  }
}
TS
[ -f "$dir/src/main.ts" ] || cat > "$dir/src/main.ts" <<TS
import 'reflect-metadata';
import { main } from '@saas/platform';
import { AppModule, ${name}Spec } from './app.module';
import { ${name}Env } from './config';

main(${name}Spec, ${name}Env, (config) => AppModule.register(config));
TS
echo "$name scaffolded (default port $port)"
