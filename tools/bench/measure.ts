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
