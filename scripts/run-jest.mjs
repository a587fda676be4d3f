#!/usr/bin/env node
// Runs one project's jest suite (the `test` target of every project): node scripts/run-jest.mjs <projectRoot> <projectName>
// Writes reports/jest/<project>.json so `npm test` can print one total across all projects.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [projectRoot, projectName, ...extra] = process.argv.slice(2);
if (!projectRoot || !projectName) {
  console.error('usage: run-jest.mjs <projectRoot> <projectName> [jest args]');
  process.exit(2);
}
const reports = join(root, 'reports', 'jest');
mkdirSync(reports, { recursive: true });

// Integration tests find the local infrastructure through the file `infra up` writes.
const envFile = process.env.INFRA_ENV_FILE ?? join(root, '.local', 'infra.env');
const env = { ...process.env };
if (existsSync(envFile)) {
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match && env[match[1]] === undefined) env[match[1]] = match[2];
  }
}

const result = spawnSync(
  process.execPath,
  [
    join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
    '--config',
    join(root, projectRoot, 'jest.config.ts'),
    '--ci',
    '--runInBand',
    // Real clients (kafkajs, ioredis, pg) can keep a socket a moment after close; never let that hang CI.
    '--forceExit',
    '--json',
    '--outputFile',
    join(reports, `${projectName}.json`),
    ...extra,
  ],
  { cwd: root, env, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
