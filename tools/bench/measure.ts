import { spawn, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { eventually, repoRoot } from '@saas/testing';

/** Small helpers shared by the benchmarks: a closed-loop load with bounded time and count, and percentiles. */
export interface LoadResult {
  label: string;
  ops: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export async function closedLoop(
  label: string,
  operation: () => Promise<unknown>,
  options: { concurrency: number; seconds: number; maxOps?: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const maxOps = options.maxOps ?? 1_000_000;
  const worker = async () => {
    while (performance.now() < deadline && latencies.length + errors < maxOps) {
      const t0 = performance.now();
      try {
        await operation();
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  return { label, ops: latencies.length, seconds, perSecond: latencies.length / seconds, p50Ms: pct(0.5), p99Ms: pct(0.99), errors };
}

export function printTable(title: string, rows: LoadResult[], baseline = rows[0]): void {
  console.log(`\n${title}`);
  console.log('| case | ops | ops/s | p50 ms | p99 ms | errors | vs first |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const ratio = baseline ? (row.perSecond / baseline.perSecond).toFixed(2) : '1.00';
    console.log(
      `| ${row.label} | ${row.ops} | ${row.perSecond.toFixed(0)} | ${row.p50Ms.toFixed(2)} | ${row.p99Ms.toFixed(2)} | ${row.errors} | ${ratio}x |`,
    );
  }
}

/** Starts a server process (a built service or a bare server) and waits until its port answers HTTP. */
export async function startProcess(command: string[], env: Record<string, string>, port: number): Promise<ChildProcess> {
  // BENCH_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`: profile every server a bench starts.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...command], { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) }, stdio: 'ignore' });
  await eventually(async () => (await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined)) !== undefined, 90_000, 250);
  return child;
}

/** One autocannon run; figures as a row. */
export async function httpLoad(label: string, options: autocannon.Options) {
  const result = await autocannon(options);
  return { label, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

/** Runs a benchmark's main and exits with its outcome (child processes and pools never keep it alive). */
export function runBenchmark(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

/** Prints rows from httpLoad as a markdown table under a title. */
export function printHttpTable(title: string, rows: Awaited<ReturnType<typeof httpLoad>>[]): void {
  console.log(`\n${title}`);
  console.log('| case | req/s | p50 ms | p99 ms | errors |');
  console.log('|---|---:|---:|---:|---:|');
  for (const row of rows) console.log(`| ${row.label} | ${row.rps.toFixed(0)} | ${row.p50} | ${row.p99} | ${row.errors} |`);
}
