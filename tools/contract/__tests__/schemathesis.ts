import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '@saas/testing';

const fuzzer = resolve(repoRoot, 'tools/contract/fuzzer');

/** The pinned schemathesis, installed into .local/venv-schemathesis on first use (idempotent). */
export function installSchemathesis(): Promise<string> {
  return new Promise((done, fail) =>
    execFile('bash', [join(fuzzer, 'install.sh')], { cwd: repoRoot, timeout: 600_000 }, (error, stdout, stderr) =>
      error ? fail(new Error(`installing schemathesis failed: ${stderr || error.message}`)) : done(stdout.trim().split('\n').pop()!),
    ),
  );
}

export interface RunOptions {
  executable: string;
  /** Where the OpenAPI document is, e.g. `http://127.0.0.1:4100/catalog/docs/openapi.json` (or a file). */
  schema: string;
  /** The service's base URL (the document's paths already carry the `/<service>` prefix). */
  baseUrl: string;
  authUrl: string;
  role: 'user' | 'admin';
  adminEmail: string;
  password: string;
  seed: number;
  maxExamples: number;
  /** Where the JSON report goes (reports/contract/<name>.json). */
  name: string;
  /** Only these operations, as `METHOD /path` (e.g. to prove a broken document is caught). */
  include?: string[];
  timeoutMs: number;
}

/** What the JSON report of `schemathesis run` says (the parts the tests read). */
export interface Report {
  seed: number;
  running_time: number;
  exit_code: number;
  operations: { total: number; selected: number; tested: number; errored: number; skipped: number };
  phases: Record<string, { status: string; skip_reason: string | null }>;
  test_cases: { generated: number; with_failures: number; unique_failures: number; errored: number };
  failures: { code: string; title: string; count: number; operations: string[] }[];
  errors: unknown[];
}

export interface Run {
  report: Report;
  output: string;
  exitCode: number | null;
}

/**
 * One `schemathesis run`: every check, every phase (stateful included), a fixed seed, authenticated by
 * fuzzer/hooks.py as a real user or admin of the auth service. Resolves with the JSON report and the
 * console output (which names every failure with a curl line that reproduces it).
 */
export function runSchemathesis(options: RunOptions): Promise<Run> {
  const reports = resolve(repoRoot, 'reports', 'contract');
  mkdirSync(reports, { recursive: true });
  const reportPath = join(reports, `${options.name}.json`);
  rmSync(reportPath, { force: true });
  const clientIp = `10.79.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;
  const args = [
    '--config-file',
    join(fuzzer, 'schemathesis.toml'),
    '--no-color',
    'run',
    options.schema,
    '--url',
    options.baseUrl,
    '--checks',
    'all',
    '--phases',
    'examples,coverage,fuzzing,stateful',
    '--seed',
    String(options.seed),
    '--max-examples',
    String(options.maxExamples),
    '--request-timeout',
    '10',
    '--workers',
    '1',
    // The fuzzer's own register/login attempts get a rate-limit bucket of their own.
    '--header',
    `X-Forwarded-For: ${clientIp}`,
    '--report',
    'json',
    '--report-json-path',
    reportPath,
    ...(options.include ?? []).flatMap((operation) => ['--include-name', operation]),
  ];
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    SCHEMATHESIS_HOOKS: join(fuzzer, 'hooks.py'),
    CONTRACT_AUTH_URL: options.authUrl,
    CONTRACT_ROLE: options.role,
    CONTRACT_ADMIN_EMAIL: options.adminEmail,
    CONTRACT_PASSWORD: options.password,
    CONTRACT_CLIENT_IP_PREFIX: '10.78',
  };
  return new Promise((done, fail) => {
    const child = spawn('nice', ['-n', '5', options.executable, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', fail);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      try {
        const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
        done({ report, output, exitCode });
      } catch (error) {
        fail(new Error(`schemathesis wrote no report (exit ${exitCode}): ${(error as Error).message}\n${output}`));
      }
    });
  });
}

/** A one-line account of a run, for the test log and the failure message. */
export const summary = (name: string, run: Run) =>
  `${name}: ${run.report.test_cases.generated} test cases, ${run.report.operations.tested}/${run.report.operations.selected} operations, ` +
  `${run.report.failures.reduce((sum, failure) => sum + failure.count, 0)} failures, ${run.report.errors.length} errors, ` +
  `${run.report.running_time.toFixed(1)} s`;
