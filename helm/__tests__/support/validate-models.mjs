// Validates Kubernetes objects (a JSON array on stdin) with the kubernetes-models package: each kind's
// JSON-schema validator generated from the Kubernetes OpenAPI spec (types, required fields, enums,
// formats such as quantities). ESM-only, hence a child process of the jest suites. Prints JSON.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const objects = JSON.parse(readFileSync(0, 'utf8'));
const version = JSON.parse(readFileSync(require.resolve('kubernetes-models/package.json'), 'utf8')).version;

const results = [];
for (const object of objects) {
  const [group, ver] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : [null, object.apiVersion];
  const path = group ? `kubernetes-models/${group}/${ver}/${object.kind}` : `kubernetes-models/${ver}/${object.kind}`;
  const entry = { kind: object.kind, apiVersion: object.apiVersion, name: object.metadata?.name ?? '', model: false, errors: [] };
  let Model;
  try {
    Model = (await import(path))[object.kind];
  } catch {
    Model = undefined;
  }
  if (Model) {
    entry.model = true;
    try {
      new Model(object).validate();
    } catch (error) {
      entry.errors.push(String(error.message ?? error));
    }
  }
  results.push(entry);
}
process.stdout.write(JSON.stringify({ version, results }));
