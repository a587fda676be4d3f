#!/usr/bin/env node
// Sums the per-project jest reports into the one closing line CI reads: "N passed, N failed".
// Arguments: the projects that were expected to report (only their reports are counted).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(process.cwd(), 'reports', 'jest');
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
const expected = new Set(process.argv.slice(2).map((project) => `${project}.json`));
const reports = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json') && (expected.size === 0 || expected.has(name))) : [];
for (const file of reports) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed') failures.push(`${file.replace(/\.json$/, '')}: ${suite.name}`);
  }
}
// A project whose jest run crashed before reporting (e.g. a failed global setup) counts as one failure.
for (const project of process.argv.slice(2)) {
  if (!existsSync(join(dir, `${project}.json`))) {
    failed += 1;
    failures.push(`${project}: no report (the test run crashed before reporting; see its output above)`);
  }
}
if (failures.length) console.log(`failing suites:\n  ${failures.join('\n  ')}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
