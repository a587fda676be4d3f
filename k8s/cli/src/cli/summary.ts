/**
 * The load generator's end-of-run summary (k8s/demo/loadgen.mjs prints one `LOADGEN_SUMMARY {json}` line):
 * parsing and printing. Pure, unit-tested.
 */

export interface LoadSummary {
  mode: string;
  durationS: number;
  requests: number;
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  dropped: number;
  statuses: Record<string, number>;
  errorCodes: Record<string, number>;
  /** Responses per pod, by the `x-served-by` header. */
  servedBy: Record<string, number>;
  /** Reads per database node, by the `x-read-node` header (absent in older summaries). */
  readFrom?: Record<string, number>;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

const MARKER = 'LOADGEN_SUMMARY ';

/** The last summary line in a log, or undefined when there is none (or it is not the expected shape). */
export function parseSummary(log: string): LoadSummary | undefined {
  const line = log
    .split('\n')
    .map((l) => l.replace(/^\s*\|\s?/, ''))
    .reverse()
    .find((l) => l.startsWith(MARKER));
  if (!line) return undefined;
  try {
    const parsed = JSON.parse(line.slice(MARKER.length)) as LoadSummary;
    const numbers = [parsed.requests, parsed.rps, parsed.ok, parsed.non2xx, parsed.errors, parsed.latencyMs?.p99];
    return numbers.every((n) => typeof n === 'number' && Number.isFinite(n)) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Pods that served responses (x-served-by), busiest first. */
export function podsServing(s: LoadSummary): string[] {
  return Object.entries(s.servedBy)
    .filter(([pod]) => pod !== '-')
    .sort((a, b) => b[1] - a[1])
    .map(([pod]) => pod);
}

export function formatSummary(s: LoadSummary): string[] {
  const failed = s.non2xx + s.errors;
  const why = [
    ...Object.entries(s.statuses)
      .filter(([status]) => !status.startsWith('2'))
      .map(([status, n]) => `HTTP ${status} ×${n}`),
    ...Object.entries(s.errorCodes).map(([code, n]) => `${code} ×${n}`),
  ].join(', ');
  return [
    `requests: ${s.requests} at ${s.rps} req/s (${s.mode}); failed ${failed}${why ? ` (${why})` : ''}${s.dropped ? `; ${s.dropped} not sent (too many in flight)` : ''}`,
    `latency:  p50 ${s.latencyMs.p50} ms · p95 ${s.latencyMs.p95} ms · p99 ${s.latencyMs.p99} ms · max ${s.latencyMs.max} ms`,
    `pods:     ${podsServing(s).map((pod) => `${pod} ${s.servedBy[pod]}`).join(', ') || 'none answered'}`,
    ...(s.readFrom && Object.keys(s.readFrom).length ? [`reads:    ${Object.entries(s.readFrom).map(([node, n]) => `${node} ${n}`).join(', ')} (x-read-node)`] : []),
  ];
}

/** One step of `bench`: the pod count and what the load generator measured at it. */
export interface BenchRow {
  pods: number;
  summary: LoadSummary;
}

export function benchTable(rows: BenchRow[], cpuLimit: string): string[] {
  const base = rows[0]?.summary.rps ?? 0;
  const lines = [
    `| pods (CPU limit ${cpuLimit} each) | req/s | × 1st row | p50 ms | p99 ms | failed | pods answering |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const { pods, summary: s } of rows) {
    const ratio = base > 0 ? (s.rps / base).toFixed(2) : '-';
    lines.push(`| ${pods} | ${s.rps} | ${ratio}× | ${s.latencyMs.p50} | ${s.latencyMs.p99} | ${s.non2xx + s.errors} | ${podsServing(s).length} |`);
  }
  return lines;
}
