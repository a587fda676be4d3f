// Writes the four services' OpenAPI documents as served, one file each: <dir>/<service>.json.
//   bash scripts/ts-run.sh tools/contract/export-documents.ts <dir>
// Boots the built services (dist/apps) on free ports against the local infrastructure, exactly as the
// contract tests do; the generated client (libs/api-client) is made from these files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SERVICES, startStack } from './stack';

async function exportDocuments(dir: string): Promise<void> {
  const stack = await startStack({ adminEmails: [] });
  try {
    mkdirSync(dir, { recursive: true });
    for (const service of SERVICES) {
      const response = await fetch(`${stack.urls[service]}/${service}/docs/openapi.json`);
      if (!response.ok) throw new Error(`${service}: GET /${service}/docs/openapi.json answered ${response.status}`);
      writeFileSync(join(dir, `${service}.json`), `${JSON.stringify(await response.json(), null, 2)}\n`);
    }
  } finally {
    await stack.stop();
  }
}

const [dir] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: export-documents.ts <dir>\n');
  process.exit(2);
}
exportDocuments(resolve(dir)).then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
